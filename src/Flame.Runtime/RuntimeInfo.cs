using System.Reflection;

namespace Flame.Runtime;

/// <summary>What `flame doctor` reports about the ONNX Runtime this process uses.</summary>
public sealed record RuntimeInfo(string Version, string LibraryPath, IReadOnlyList<string> AvailableProviders, bool CudaUsable, string CudaStatus)
{
    /// <summary>The ONNX Runtime version the packages are pinned to (OnnxRuntimeVersion in Directory.Packages.props); doctor flags any other.</summary>
    public static string PinnedVersion { get; } = typeof(RuntimeInfo).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "OnnxRuntimeVersion").Value!;

    /// <summary>Loads the library (if needed) and probes it; CUDA is probed by appending its provider to throwaway session options.</summary>
    public static RuntimeInfo Probe()
    {
        var environment = OrtRuntime.Environment;
        bool cudaUsable;
        string cudaStatus;
        try
        {
            using var options = new SessionSettings { Device = ExecutionDevice.Cuda() }.CreateOptions();
            cudaUsable = true;
            cudaStatus = "the CUDA provider loads";
        }
        catch (DeviceUnavailableException e)
        {
            cudaUsable = false;
            cudaStatus = e.Message;
        }

        return new RuntimeInfo(environment.GetVersionString(), LoadedLibrary, environment.GetAvailableProviders(), cudaUsable, cudaStatus);
    }

    /// <summary>The path of the libonnxruntime this process mapped (after <see cref="OrtRuntime.Environment"/> loaded it), from /proc/self/maps.</summary>
    public static string LoadedLibrary
    {
        get
        {
            _ = OrtRuntime.Environment;
            return File.ReadLines("/proc/self/maps").Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                .Where(fields => fields.Length >= 6 && Path.GetFileName(fields[5]).StartsWith("libonnxruntime.so", StringComparison.Ordinal))
                .Select(fields => fields[5]).FirstOrDefault() ?? "(not found in /proc/self/maps)";
        }
    }
}
