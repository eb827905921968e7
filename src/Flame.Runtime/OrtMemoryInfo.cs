using Flame.Runtime.Interop;

namespace Flame.Runtime;

/// <summary>Where a tensor's memory lives: the CPU, or a CUDA device.</summary>
public sealed unsafe class OrtMemoryInfo : IDisposable
{
    private OrtMemoryInfo(OrtHandle handle) => Handle = handle;

    /// <summary>CPU memory (arena allocator, default memory type).</summary>
    public static OrtMemoryInfo Cpu() => new(new OrtHandle(OrtApi.CreateCpuMemoryInfo(allocatorType: 1, memType: 0), OrtApi.ReleaseSlot.MemoryInfo));

    /// <summary>The memory a session on <paramref name="device"/> computes in.</summary>
    public static OrtMemoryInfo For(ExecutionDevice device) => device.IsCuda ? Cuda(device.DeviceId) : Cpu();

    /// <summary>Memory of CUDA device <paramref name="deviceId"/>; usable once a CUDA session exists.</summary>
    public static OrtMemoryInfo Cuda(int deviceId = 0)
    {
        fixed (byte* name = OrtApi.Utf8("Cuda"))
        {
            return new OrtMemoryInfo(new OrtHandle(OrtApi.CreateMemoryInfo(name, allocatorType: 0, deviceId, memType: 0), OrtApi.ReleaseSlot.MemoryInfo));
        }
    }

    internal OrtHandle Handle { get; }

    /// <summary>ORT's name of the memory ("Cpu", "Cuda", ...).</summary>
    public string Name => OrtApi.MemoryInfoName(Handle.Pointer);

    public int DeviceId => OrtApi.MemoryInfoDeviceId(Handle.Pointer);

    public void Dispose() => Handle.Dispose();
}
