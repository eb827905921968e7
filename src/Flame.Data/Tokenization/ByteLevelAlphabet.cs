namespace Flame.Data.Tokenization;

/// <summary>
/// GPT-2's bytes_to_unicode: each of the 256 byte values as a printable character, so that
/// byte-level vocabularies (encoder.json, tokenizer.json) can be written as JSON strings.
/// Printable Latin-1 bytes map to themselves; the other 68 map to U+0100 onwards in order.
/// </summary>
public static class ByteLevelAlphabet
{
    private static readonly char[] ToChar = Build();
    private static readonly Dictionary<char, byte> ToByte = Enumerable.Range(0, 256).ToDictionary(b => ToChar[b], b => (byte)b);

    /// <summary>The vocabulary form of raw bytes.</summary>
    public static string Encode(ReadOnlySpan<byte> bytes)
    {
        var chars = new char[bytes.Length];
        for (var i = 0; i < bytes.Length; i++)
        {
            chars[i] = ToChar[bytes[i]];
        }

        return new string(chars);
    }

    /// <summary>The raw bytes of a vocabulary string; null when it has a character outside the alphabet.</summary>
    public static byte[]? Decode(string token)
    {
        var bytes = new byte[token.Length];
        for (var i = 0; i < token.Length; i++)
        {
            if (!ToByte.TryGetValue(token[i], out bytes[i]))
            {
                return null;
            }
        }

        return bytes;
    }

    private static char[] Build()
    {
        var printable = Enumerable.Range('!', '~' - '!' + 1).Concat(Enumerable.Range('¡', '¬' - '¡' + 1)).Concat(Enumerable.Range('®', 'ÿ' - '®' + 1)).ToHashSet();
        var map = new char[256];
        var next = 256;
        for (var b = 0; b < 256; b++)
        {
            map[b] = printable.Contains(b) ? (char)b : (char)next++;
        }

        return map;
    }
}
