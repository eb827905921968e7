namespace Flame.Runtime.Interop;

/// <summary>Turns <see cref="SessionSettings"/> into a native OrtSessionOptions.</summary>
internal static unsafe class SessionOptionsFactory
{
    public static OrtHandle Create(SessionSettings settings)
    {
        var options = new OrtHandle(OrtApi.CreateSessionOptions(), OrtApi.ReleaseSlot.SessionOptions);
        try
        {
            var p = options.Pointer;
            OrtApi.SetIntraOpThreads(p, settings.IntraOpThreads);
            OrtApi.SetInterOpThreads(p, settings.InterOpThreads);
            OrtApi.SetExecutionMode(p, settings.ParallelExecution ? 1 : 0);
            OrtApi.SetOptimizationLevel(p, (int)settings.Optimization);
            OrtApi.SetLogSeverity(p, (int)settings.LogLevel);
            OrtApi.EnableMemPattern(p, settings.MemoryPattern);
            OrtApi.EnableCpuMemArena(p, settings.CpuMemoryArena);
            foreach (var (key, value) in settings.ConfigEntries)
            {
                fixed (byte* k = OrtApi.Utf8(key))
                fixed (byte* v = OrtApi.Utf8(value))
                {
                    OrtApi.AddSessionConfigEntry(p, k, v);
                }
            }

            if (settings.ProfilingPrefix is { } prefix)
            {
                fixed (byte* pre = OrtApi.Utf8(prefix))
                {
                    OrtApi.EnableProfiling(p, pre);
                }
            }

            if (settings.Device.IsCuda)
            {
                CudaProvider.Append(p, settings.Device.DeviceId, settings.CudaArenaExactSizes);
            }

            return options;
        }
        catch
        {
            options.Dispose();
            throw;
        }
    }
}
