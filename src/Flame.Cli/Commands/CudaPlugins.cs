using Flame.Native;
using Flame.Runtime;

namespace Flame.Cli.Commands;

/// <summary>
/// ONNX Runtime 1.29.0's CUDA plug-ins (CUDA 13, cuDNN 9; 180 MB from npm), which ORT loads from
/// the folder of libonnxruntime.so.1. `flame setup cuda` fetches them; so does any command run
/// with --device cuda on a machine that shows a GPU and lacks them (on demand). Machines without
/// a GPU never download them: there --device cuda fails with ORT's message and the setup hint.
/// </summary>
public static class CudaPlugins
{
    public static readonly NpmPackage Package = new(
        "com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9",
        "sha512-FopIhNE/Ng+v2X65wVc9clPCBCvhvA53Hxo2U0Kf5fGdVsC7iCA+mZ0KLWggcQAj7TIZ6pNidR4AC10g74Xo6w==",
        ["package/Plugins/Linux/x64/libonnxruntime_providers_cuda.so", "package/Plugins/Linux/x64/libonnxruntime_providers_shared.so"]);

    private static readonly string[] Libraries = ["libonnxruntime_providers_cuda.so", "libonnxruntime_providers_shared.so"];

    /// <summary>The folder ORT was loaded from, where it looks for its plug-ins.</summary>
    public static string Folder => Path.GetDirectoryName(RuntimeInfo.LoadedLibrary)!;

    public static bool Present(string folder) => Libraries.All(l => File.Exists(Path.Combine(folder, l)));

    /// <summary>Whether the NVIDIA driver exposes a device to this machine.</summary>
    public static bool GpuVisible(string devices = "/dev") =>
        File.Exists(Path.Combine(devices, "nvidiactl")) && Directory.Exists(devices) && Directory.EnumerateFiles(devices, "nvidia*").Any(f => char.IsDigit(f[^1]));

    public static void Fetch(string folder, TextWriter log)
    {
        log.WriteLine($"fetching ONNX Runtime's CUDA plug-ins ({Package.Spec}, 180 MB, integrity-checked) into {folder} ...");
        NpmPackageFetcher.Fetch(Package, folder);
    }

    /// <summary>Before running on <paramref name="device"/>: fetches the plug-ins when it is CUDA, a GPU is visible and they are missing.</summary>
    public static void EnsureFor(ExecutionDevice device, TextWriter log)
    {
        if (device.IsCuda && GpuVisible() && !Present(Folder))
        {
            Fetch(Folder, log);
        }
    }
}
