using System.Runtime.InteropServices;
using System.Text;

namespace Flame.Native.Interop;

/// <summary>UTF-8 conversions at the native boundary: NUL-terminated arguments in, C strings out.</summary>
internal static class Utf8Z
{
    /// <summary>The string's UTF-8 bytes followed by a NUL, for const char* arguments.</summary>
    public static byte[] Encode(string text)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(text) + 1];
        Encoding.UTF8.GetBytes(text, bytes);
        return bytes;
    }

    /// <summary>A C string DuckDB owns (not freed here), or <paramref name="fallback"/> when null.</summary>
    public static string Decode(nint text, string fallback = "") => Marshal.PtrToStringUTF8(text) ?? fallback;
}
