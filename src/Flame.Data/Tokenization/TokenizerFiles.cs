using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Flame.Data.Tokenization;

/// <summary>
/// Reads the byte-level BPE formats researchers have — Hugging Face tokenizer.json (GPT-2,
/// GPT-NeoX/Pythia), GPT-2's encoder.json + vocab.bpe, tiktoken .tiktoken rank files — and
/// writes tokenizer.json that the Hugging Face libraries load. Errors are
/// <see cref="InvalidDataException"/>s naming the file and the field or line.
/// </summary>
public static class TokenizerFiles
{
    /// <summary>GPT-2's end-of-text token, the end-of-document marker of GPT-2, GPT-NeoX and our trained vocabularies.</summary>
    public const string EndOfText = "<|endoftext|>";

    /// <summary>Loads by file type: *.tiktoken, a folder with encoder.json + vocab.bpe, or else tokenizer.json.</summary>
    /// <exception cref="FileNotFoundException">Nothing is at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is malformed or asks for something unsupported (named in the message).</exception>
    public static BpeTokenizer Load(string path)
    {
        if (Directory.Exists(path))
        {
            return LoadGpt2(Path.Combine(path, "encoder.json"), Path.Combine(path, "vocab.bpe"));
        }

        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"tokenizer not found: {path} (give a tokenizer.json, a .tiktoken file, or a folder with encoder.json and vocab.bpe)", path);
        }

        return path.EndsWith(".tiktoken", StringComparison.OrdinalIgnoreCase) ? LoadTiktoken(path) : HuggingFaceTokenizerJson.Load(path);
    }

    /// <summary>A Hugging Face tokenizer.json with a byte-level BPE model (GPT-2, GPT-NeoX/Pythia).</summary>
    public static BpeTokenizer LoadHuggingFace(string path) => HuggingFaceTokenizerJson.Load(path);

    /// <summary>Writes tokenizer.json in the Hugging Face format (byte-level BPE), atomically.</summary>
    public static void SaveHuggingFace(BpeTokenizer tokenizer, string path) => HuggingFaceTokenizerJson.Save(tokenizer, path);

    /// <summary>GPT-2's files: encoder.json maps byte-level strings to ids; vocab.bpe lists merges "a b", best first.</summary>
    public static BpeTokenizer LoadGpt2(string encoderJson, string vocabBpe)
    {
        foreach (var file in new[] { encoderJson, vocabBpe }.Where(f => !File.Exists(f)))
        {
            throw new FileNotFoundException($"GPT-2 tokenizer file not found: {file}", file);
        }

        var vocabulary = ReadVocabulary(encoderJson, ParseObject(encoderJson), "");
        var merges = new List<(string, string)>();
        var lineNumber = 0;
        foreach (var line in File.ReadLines(vocabBpe))
        {
            lineNumber++;
            if (line.StartsWith("#version", StringComparison.Ordinal) || line.Length == 0)
            {
                continue;
            }

            merges.Add(ParseMerge(line.Split(' '), vocabulary, $"{vocabBpe}:{lineNumber}"));
        }

        var added = vocabulary.TryGetValue(EndOfText, out var eod) ? new[] { new AddedToken(eod, EndOfText) } : [];
        return new BpeTokenizer(TokensById(vocabulary), merges, added);
    }

    /// <summary>
    /// A tiktoken rank file: one "base64(bytes) rank" per line. Its encoding (<see cref="TiktokenEncoding"/>,
    /// by the file's name or number of ranks) gives the split pattern and the special tokens, unless
    /// <paramref name="encoding"/> is given.
    /// </summary>
    /// <exception cref="InvalidDataException">a malformed line (named), or a file of no known encoding.</exception>
    public static BpeTokenizer LoadTiktoken(string path, TiktokenEncoding? encoding = null)
    {
        var tokens = new List<string?>();
        var lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (line.Length == 0)
            {
                continue;
            }

            var parts = line.Split(' ');
            if (parts.Length != 2 || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var rank))
            {
                throw new InvalidDataException($"{path}:{lineNumber}: expected 'base64 rank', found '{Shorten(line)}'");
            }

            byte[] bytes;
            try
            {
                bytes = Convert.FromBase64String(parts[0]);
            }
            catch (FormatException)
            {
                throw new InvalidDataException($"{path}:{lineNumber}: '{Shorten(parts[0])}' is not base64");
            }

            while (tokens.Count <= rank)
            {
                tokens.Add(null);
            }

            tokens[rank] = tokens[rank] is null ? Latin1(bytes) : throw new InvalidDataException($"{path}:{lineNumber}: rank {rank} is given twice");
        }

        encoding ??= TiktokenEncoding.Of(path, tokens.Count(t => t is not null));
        return new BpeTokenizer(tokens, merges: null, [.. encoding.SpecialTokens.Select(s => new AddedToken(s.Value, s.Key))],
            BpeOptions.Gpt2 with { Pattern = encoding.Pattern });
    }

    /// <summary>A vocabulary object {"byte-level token": id} as Latin-1 byte strings → ids; tokens outside the byte alphabet (added tokens) are read as UTF-8 text.</summary>
    internal static Dictionary<string, int> ReadVocabulary(string path, JsonObject vocab, string field)
    {
        var result = new Dictionary<string, int>(vocab.Count, StringComparer.Ordinal);
        foreach (var (key, value) in vocab)
        {
            var bytes = ByteLevelAlphabet.Decode(key) ?? Encoding.UTF8.GetBytes(key);
            result[Latin1(bytes)] = value is JsonValue v && v.TryGetValue<int>(out var id) && id >= 0
                ? id
                : throw new InvalidDataException($"{path}: {field}\"{key}\" is not a non-negative integer id");
        }

        return result;
    }

    /// <summary>Byte strings by id from a vocabulary (ids it skips are null).</summary>
    internal static string?[] TokensById(Dictionary<string, int> vocabulary)
    {
        var tokens = new string?[vocabulary.Count == 0 ? 0 : vocabulary.Values.Max() + 1];
        foreach (var (token, id) in vocabulary)
        {
            tokens[id] = token;
        }

        return tokens;
    }

    /// <summary>A merge "left right" in byte-level form whose two tokens and their concatenation are in the vocabulary.</summary>
    internal static (string, string) ParseMerge(string[] parts, Dictionary<string, int> vocabulary, string where)
    {
        var left = parts.Length == 2 ? ByteLevelAlphabet.Decode(parts[0]) : null;
        var right = parts.Length == 2 ? ByteLevelAlphabet.Decode(parts[1]) : null;
        if (left is null || right is null)
        {
            throw new InvalidDataException($"{where}: a merge must be two byte-level tokens separated by a space, found '{Shorten(string.Join(' ', parts))}'");
        }

        var (l, r) = (Latin1(left), Latin1(right));
        foreach (var token in new[] { l, r, l + r }.Where(t => !vocabulary.ContainsKey(t)))
        {
            throw new InvalidDataException($"{where}: the merge '{parts[0]} {parts[1]}' needs '{ByteLevelAlphabet.Encode(token.Select(c => (byte)c).ToArray())}', which is not in the vocabulary");
        }

        return (l, r);
    }

    internal static JsonObject ParseObject(string path)
    {
        try
        {
            return JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new InvalidDataException($"{path}: not a JSON object");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON (line {e.LineNumber + 1}: {e.Message})", e);
        }
    }

    internal static string Latin1(ReadOnlySpan<byte> bytes)
    {
        Span<char> chars = bytes.Length <= 256 ? stackalloc char[bytes.Length] : new char[bytes.Length];
        for (var i = 0; i < bytes.Length; i++)
        {
            chars[i] = (char)bytes[i];
        }

        return new string(chars);
    }

    internal static byte[] Bytes(string latin1) => [.. latin1.Select(c => (byte)c)];

    private static string Shorten(string text) => text.Length <= 60 ? text : text[..60] + "…";
}
