using System.Runtime.InteropServices;

namespace Flame.Native.Interop;

/// <summary>ZSTD_inBuffer: the compressed bytes handed to the decoder and how far it has read.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct ZstdInBuffer
{
    public byte* Source;
    public nuint Size;
    public nuint Position;
}

/// <summary>ZSTD_outBuffer: room for decompressed bytes and how far the decoder has written.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct ZstdOutBuffer
{
    public byte* Destination;
    public nuint Size;
    public nuint Position;
}

/// <summary>The streaming-decompression functions of libzstd.so.1 (zstd.h, the system's libzstd1), resolved once.</summary>
internal sealed unsafe class ZstdApi
{
    public const string FileName = "libzstd.so.1";

    private static readonly Lazy<ZstdApi> Loaded = new(() => new ZstdApi(NativeLibraryLoader.FromSystem(FileName,
        "It comes with the operating system (Debian/Ubuntu: apt-get install -y libzstd1).")));

    /// <summary>The loaded API; the first use loads the library.</summary>
    /// <exception cref="DllNotFoundException">libzstd.so.1 is not installed.</exception>
    public static ZstdApi Instance => Loaded.Value;

    public readonly delegate* unmanaged<nint> CreateDStream;
    public readonly delegate* unmanaged<nint, nuint> FreeDStream;
    public readonly delegate* unmanaged<nint, nuint> InitDStream;
    public readonly delegate* unmanaged<nint, ZstdOutBuffer*, ZstdInBuffer*, nuint> DecompressStream;
    public readonly delegate* unmanaged<nuint> DStreamInSize;
    public readonly delegate* unmanaged<nuint> DStreamOutSize;
    public readonly delegate* unmanaged<nuint, uint> IsError;
    public readonly delegate* unmanaged<nuint, nint> GetErrorName;

    private ZstdApi(NativeLibraryLoader library)
    {
        CreateDStream = (delegate* unmanaged<nint>)library.Export("ZSTD_createDStream");
        FreeDStream = (delegate* unmanaged<nint, nuint>)library.Export("ZSTD_freeDStream");
        InitDStream = (delegate* unmanaged<nint, nuint>)library.Export("ZSTD_initDStream");
        DecompressStream = (delegate* unmanaged<nint, ZstdOutBuffer*, ZstdInBuffer*, nuint>)library.Export("ZSTD_decompressStream");
        DStreamInSize = (delegate* unmanaged<nuint>)library.Export("ZSTD_DStreamInSize");
        DStreamOutSize = (delegate* unmanaged<nuint>)library.Export("ZSTD_DStreamOutSize");
        IsError = (delegate* unmanaged<nuint, uint>)library.Export("ZSTD_isError");
        GetErrorName = (delegate* unmanaged<nuint, nint>)library.Export("ZSTD_getErrorName");
    }

    /// <summary>The error name when <paramref name="code"/> is a zstd error code, otherwise null.</summary>
    public string? ErrorName(nuint code) => IsError(code) != 0 ? Marshal.PtrToStringUTF8(GetErrorName(code)) ?? "unknown zstd error" : null;
}

/// <summary>ZSTD_DStream*, freed with ZSTD_freeDStream.</summary>
internal sealed class ZstdDStreamHandle : SafeHandle
{
    public ZstdDStreamHandle(nint stream) : base(0, ownsHandle: true) => SetHandle(stream);

    public override bool IsInvalid => handle == 0;

    protected override unsafe bool ReleaseHandle()
    {
        ZstdApi.Instance.FreeDStream(handle);
        return true;
    }
}
