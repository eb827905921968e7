using System.Runtime.InteropServices;

namespace Flame.Runtime.Interop;

/// <summary>Appends ORT's CUDA execution provider to session options through the V2 provider options.</summary>
internal static unsafe class CudaProvider
{
    /// <exception cref="OrtException">the CUDA plug-ins, CUDA or the GPU are missing; the message adds what to do to ORT's.</exception>
    public static void Append(nint sessionOptions, int deviceId)
    {
        try
        {
            // Creating the options already loads the plug-in library, so every step can fail for want of CUDA.
            using var cuda = new OrtHandle(OrtApi.CreateCudaOptions(), OrtApi.ReleaseSlot.CudaProviderOptions);
            var key = Marshal.StringToCoTaskMemUTF8("device_id");
            var value = Marshal.StringToCoTaskMemUTF8(deviceId.ToString(System.Globalization.CultureInfo.InvariantCulture));
            try
            {
                OrtApi.UpdateCudaOptions(cuda.Pointer, &key, &value, 1);
                OrtApi.AppendCudaV2(sessionOptions, cuda.Pointer);
            }
            finally
            {
                Marshal.FreeCoTaskMem(key);
                Marshal.FreeCoTaskMem(value);
            }
        }
        catch (OrtException e)
        {
            throw new OrtException(e.Code,
                $"{e.OrtMessage.TrimEnd()} (CUDA needs `flame setup cuda` to put ORT's CUDA plug-ins next to {OrtLibrary.LoadedPath}, "
                + "CUDA 13 and cuDNN 9 on the library path, and a GPU)");
        }
    }
}
