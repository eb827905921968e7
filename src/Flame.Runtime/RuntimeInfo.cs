using Flame.Runtime.Interop;

namespace Flame.Runtime;

/// <summary>What `flame doctor` reports about the ONNX Runtime this process uses.</summary>
public sealed record RuntimeInfo(string Version, string LibraryPath, IReadOnlyList<string> AvailableProviders, string BuildInfo, bool CudaUsable, string CudaStatus)
{
    /// <summary>Loads the library (if needed) and probes it; CUDA is probed by appending its provider to a throwaway session's options.</summary>
    public static RuntimeInfo Probe()
    {
        _ = OrtEnvironment.Shared;
        var providers = OrtApi.AvailableProviders();
        bool cudaUsable;
        string cudaStatus;
        try
        {
            using var options = SessionOptionsFactory.Create(new SessionSettings { Device = ExecutionDevice.Cuda() });
            cudaUsable = true;
            cudaStatus = "the CUDA provider loads";
        }
        catch (OrtException e)
        {
            cudaUsable = false;
            cudaStatus = e.OrtMessage;
        }

        return new RuntimeInfo(OrtLibrary.Version, OrtLibrary.LoadedPath, providers, OrtApi.BuildInfo(), cudaUsable, cudaStatus);
    }

    /// <summary>The path of the libonnxruntime this process loaded (loading it if needed).</summary>
    public static string LoadedLibrary => OrtLibrary.LoadedPath;

    /// <summary>Tries to load ONNX Runtime from <paramref name="folders"/> only, e.g. to check a folder before pointing FLAME_ORT_DIR at it.</summary>
    /// <exception cref="DllNotFoundException">no usable library there; the message names the paths and versions.</exception>
    public static string CheckLibrary(IReadOnlyList<string> folders) => OrtLibrary.Load(folders).Version;
}
