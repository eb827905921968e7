using System.Text;

namespace Flame.Data.Readers;

/// <summary>UTF-8 decoding that refuses invalid bytes instead of replacing them with U+FFFD.</summary>
internal static class StrictUtf8
{
    private static readonly UTF8Encoding Encoding = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Decodes <paramref name="bytes"/>, or gives the offset of the first invalid byte.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> bytes, out string text, out int invalidOffset)
    {
        try
        {
            text = Encoding.GetString(bytes);
            invalidOffset = -1;
            return true;
        }
        catch (DecoderFallbackException e)
        {
            text = "";
            invalidOffset = Math.Max(e.Index, 0);
            return false;
        }
    }

    /// <summary>A message naming the invalid bytes at <paramref name="offset"/>.</summary>
    public static string Describe(ReadOnlySpan<byte> bytes, int offset)
    {
        var shown = bytes.Slice(offset, Math.Min(4, bytes.Length - offset));
        return $"invalid UTF-8 at byte {offset} (bytes {Convert.ToHexString(shown)})";
    }
}
