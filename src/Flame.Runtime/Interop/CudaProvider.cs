using System.Runtime.InteropServices;

namespace Flame.Runtime.Interop;

/// <summary>Appends ORT's CUDA execution provider to session options through the V2 provider options.</summary>
internal static unsafe class CudaProvider
{
    /// <exception cref="OrtException">the CUDA plug-ins, CUDA or the GPU are missing; the message adds what to do to ORT's.</exception>
    public static void Append(nint sessionOptions, int deviceId, bool arenaExactSizes = false)
    {
        try
        {
            // Creating the options already loads the plug-in library, so every step can fail for want of CUDA.
            using var cuda = new OrtHandle(OrtApi.CreateCudaOptions(), OrtApi.ReleaseSlot.CudaProviderOptions);
            var entries = new List<(string Key, string Value)> { ("device_id", deviceId.ToString(System.Globalization.CultureInfo.InvariantCulture)) };
            if (arenaExactSizes)
            {
                entries.Add(("arena_extend_strategy", "kSameAsRequested"));
            }

            var keys = entries.Select(e => Marshal.StringToCoTaskMemUTF8(e.Key)).ToArray();
            var values = entries.Select(e => Marshal.StringToCoTaskMemUTF8(e.Value)).ToArray();
            try
            {
                fixed (nint* k = keys)
                fixed (nint* v = values)
                {
                    OrtApi.UpdateCudaOptions(cuda.Pointer, k, v, (nuint)entries.Count);
                }

                OrtApi.AppendCudaV2(sessionOptions, cuda.Pointer);
            }
            finally
            {
                foreach (var pointer in keys.Concat(values))
                {
                    Marshal.FreeCoTaskMem(pointer);
                }
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
