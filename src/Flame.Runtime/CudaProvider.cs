using Microsoft.ML.OnnxRuntime;

namespace Flame.Runtime;

/// <summary>
/// Appends ORT's CUDA execution provider to session options. Only the CUDA build of ONNX
/// Runtime (Microsoft.ML.OnnxRuntime.Gpu.Linux, which `flame setup cuda` or the build switch
/// -p:FlameCuda=true brings) has it; the default CPU build says "not enabled in this build".
/// </summary>
internal static class CudaProvider
{
    public const string SetupHint = "this is ONNX Runtime's CPU build; CUDA needs its CUDA build: run `flame setup cuda` "
        + "(or build with -p:FlameCuda=true), and CUDA 13 + cuDNN 9 on the library path, and a GPU";

    public const string LibraryHint = "the CUDA build is here, but CUDA 13 (libcudart, libcublas, libcublasLt, libcurand) and cuDNN 9 "
        + "must be on LD_LIBRARY_PATH (e.g. /usr/local/cuda-13.0/targets/x86_64-linux/lib), with an NVIDIA driver and a GPU";

    /// <exception cref="DeviceUnavailableException">the CUDA build, CUDA or the GPU are missing; the message adds what to do to ORT's.</exception>
    public static void Append(SessionOptions options, int deviceId, bool arenaExactSizes)
    {
        try
        {
            // Creating the provider options already needs the CUDA build, so every step can fail for want of CUDA.
            using var cuda = new OrtCUDAProviderOptions();
            var entries = new Dictionary<string, string> { ["device_id"] = deviceId.ToString(System.Globalization.CultureInfo.InvariantCulture) };
            if (arenaExactSizes)
            {
                entries["arena_extend_strategy"] = "kSameAsRequested";
            }

            cuda.UpdateOptions(entries);
            options.AppendExecutionProvider_CUDA(cuda);
        }
        catch (Exception e) when (e is OnnxRuntimeException or EntryPointNotFoundException)
        {
            var hint = e is EntryPointNotFoundException || e.Message.Contains("not enabled in this build", StringComparison.Ordinal) ? SetupHint : LibraryHint;
            throw new DeviceUnavailableException($"ONNX Runtime cannot use CUDA device {deviceId}: {OrtMessage(e)} ({hint}; `flame doctor` shows what is loaded)", e);
        }
    }

    /// <summary>ORT's message without the "[ErrorCode:...]" prefix the managed API adds.</summary>
    public static string OrtMessage(Exception e) =>
        e.Message.StartsWith("[ErrorCode:", StringComparison.Ordinal) && e.Message.IndexOf(']') is > 0 and var end ? e.Message[(end + 1)..].Trim() : e.Message.Trim();
}
