using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Flame.Onnx.IO;

namespace Flame.Data.Tokenization;

/// <summary>
/// Reads the byte-level BPE formats researchers have — Hugging Face tokenizer.json (GPT-2,
/// GPT-NeoX/Pythia), GPT-2's encoder.json + vocab.bpe, tiktoken .tiktoken rank files — and
/// writes tokenizer.json that the Hugging Face libraries load. Errors name the file and field or line.
/// </summary>
public static class TokenizerFiles
{
    public const string EndOfText = "<|endoftext|>";

    /// <summary>Loads by file type: *.json (tokenizer.json), *.tiktoken, or a folder with encoder.json + vocab.bpe.</summary>
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

        return path.EndsWith(".tiktoken", StringComparison.OrdinalIgnoreCase) ? LoadTiktoken(path) : LoadHuggingFace(path);
    }

    /// <summary>GPT-2's files: encoder.json maps byte-level strings to ids; vocab.bpe lists merges "a b", best first.</summary>
    public static BpeTokenizer LoadGpt2(string encoderJson, string vocabBpe)
    {
        var vocabulary = ReadVocabulary(encoderJson, ParseObject(encoderJson, File.ReadAllText(encoderJson)), "");
        var merges = new List<(string, string)>();
        var lineNumber = 0;
        foreach (var line in File.ReadLines(vocabBpe))
        {
            lineNumber++;
            if (line.StartsWith("#version", StringComparison.Ordinal) || line.Length == 0)
            {
                continue;
            }

            merges.Add(ParseMerge(line.Split(' '), vocabBpe, $"line {lineNumber}"));
        }

        return Build(vocabulary, merges, new Dictionary<string, int>(), addPrefixSpace: false);
    }

    /// <summary>A tiktoken rank file: one "base64(bytes) rank" per line; &lt;|endoftext|&gt; = 50256 for r50k/p50k.</summary>
    public static BpeTokenizer LoadTiktoken(string path, IReadOnlyDictionary<string, int>? specialTokens = null)
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
            byte[] bytes;
            try
            {
                bytes = Convert.FromBase64String(parts[0]);
            }
            catch (FormatException)
            {
                throw new InvalidDataException($"{path}:{lineNumber}: '{parts[0]}' is not base64");
            }

            if (parts.Length != 2 || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var rank))
            {
                throw new InvalidDataException($"{path}:{lineNumber}: expected 'base64 rank'");
            }

            while (tokens.Count <= rank)
            {
                tokens.Add(null);
            }

            tokens[rank] = Latin1(bytes);
        }

        var specials = specialTokens ?? new Dictionary<string, int> { [EndOfText] = 50256 };
        return new BpeTokenizer(tokens, merges: null, specials);
    }

    /// <summary>A Hugging Face tokenizer.json with a byte-level BPE model.</summary>
    public static BpeTokenizer LoadHuggingFace(string path)
    {
        var root = ParseObject(path, File.ReadAllText(path));
        var model = root["model"] as JsonObject ?? throw new InvalidDataException($"{path}: no \"model\" object");
        var type = model["type"]?.GetValue<string>();
        if (type != "BPE")
        {
            throw new InvalidDataException($"{path}: model.type is \"{type}\"; only byte-level BPE (\"BPE\") is supported");
        }

        var normalizer = root["normalizer"]?["type"]?.GetValue<string>();
        if (normalizer is not (null or "NFC"))
        {
            throw new InvalidDataException($"{path}: normalizer \"{normalizer}\" is not supported (none or NFC)");
        }

        var preTokenizer = root["pre_tokenizer"] as JsonObject;
        var byteLevel = preTokenizer?["type"]?.GetValue<string>() == "ByteLevel"
            ? preTokenizer
            : (preTokenizer?["pretokenizers"] as JsonArray)?.OfType<JsonObject>().FirstOrDefault(p => p["type"]?.GetValue<string>() == "ByteLevel");
        if (byteLevel is null)
        {
            throw new InvalidDataException($"{path}: pre_tokenizer must be ByteLevel (or a Sequence containing one) for a byte-level BPE");
        }

        var vocabulary = ReadVocabulary(path, model["vocab"] as JsonObject ?? throw new InvalidDataException($"{path}: model.vocab is missing"), "model.vocab.");
        var merges = (model["merges"] as JsonArray ?? throw new InvalidDataException($"{path}: model.merges is missing"))
            .Select((m, i) => ParseMerge(m is JsonArray pair ? pair.Select(p => p!.GetValue<string>()).ToArray() : m!.GetValue<string>().Split(' '), path, $"model.merges[{i}]"))
            .ToList();
        var specials = new Dictionary<string, int>();
        foreach (var added in root["added_tokens"] as JsonArray ?? [])
        {
            specials[added!["content"]!.GetValue<string>()] = added["id"]!.GetValue<int>();
        }

        return Build(vocabulary, merges, specials, byteLevel["add_prefix_space"]?.GetValue<bool>() ?? false, normalizer == "NFC");
    }

    /// <summary>Writes tokenizer.json in the Hugging Face format (byte-level BPE), atomically.</summary>
    public static void SaveHuggingFace(BpeTokenizer tokenizer, string path)
    {
        var vocab = new JsonObject();
        for (var id = 0; id < tokenizer.Tokens.Count; id++)
        {
            if (tokenizer.Tokens[id].Length > 0 && !tokenizer.SpecialTokens.Values.Contains(id))
            {
                vocab[ByteLevelAlphabet.Encode(Bytes(tokenizer.Tokens[id]))] = id;
            }
        }

        var byteLevel = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = tokenizer.AddPrefixSpace, ["trim_offsets"] = true, ["use_regex"] = true };
        var root = new JsonObject
        {
            ["version"] = "1.0",
            ["truncation"] = null,
            ["padding"] = null,
            ["added_tokens"] = new JsonArray(tokenizer.SpecialTokens.OrderBy(s => s.Value).Select(s => (JsonNode)new JsonObject
            {
                ["id"] = s.Value, ["content"] = s.Key, ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false, ["normalized"] = false, ["special"] = true,
            }).ToArray()),
            ["normalizer"] = tokenizer.NormalizeNfc ? new JsonObject { ["type"] = "NFC" } : null,
            ["pre_tokenizer"] = byteLevel.DeepClone(),
            ["post_processor"] = null,
            ["decoder"] = byteLevel.DeepClone(),
            ["model"] = new JsonObject
            {
                ["type"] = "BPE", ["dropout"] = null, ["unk_token"] = null, ["continuing_subword_prefix"] = null, ["end_of_word_suffix"] = null,
                ["fuse_unk"] = false, ["byte_fallback"] = false, ["ignore_merges"] = false,
                ["vocab"] = vocab,
                ["merges"] = new JsonArray(tokenizer.Merges.Select(m => (JsonNode)$"{ByteLevelAlphabet.Encode(Bytes(m.Left))} {ByteLevelAlphabet.Encode(Bytes(m.Right))}").ToArray()),
            },
        };
        AtomicFile.WriteAllText(path, root.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
    }

    private static BpeTokenizer Build(Dictionary<string, int> vocabulary, List<(string, string)> merges, Dictionary<string, int> specials, bool addPrefixSpace, bool normalizeNfc = false)
    {
        // GPT-2 keeps <|endoftext|> in its vocabulary: it is special, never produced by merging text.
        if (vocabulary.Remove(Latin1(Encoding.UTF8.GetBytes(EndOfText)), out var eod))
        {
            specials.TryAdd(EndOfText, eod);
        }

        var size = Math.Max(vocabulary.Count == 0 ? 0 : vocabulary.Values.Max() + 1, specials.Count == 0 ? 0 : specials.Values.Max() + 1);
        var tokens = new string?[size];
        foreach (var (token, id) in vocabulary)
        {
            tokens[id] = token;
        }

        return new BpeTokenizer(tokens, merges, specials, addPrefixSpace: addPrefixSpace, normalizeNfc: normalizeNfc);
    }

    private static Dictionary<string, int> ReadVocabulary(string path, JsonObject vocab, string fieldPrefix)
    {
        var result = new Dictionary<string, int>(vocab.Count, StringComparer.Ordinal);
        foreach (var (key, value) in vocab)
        {
            var bytes = ByteLevelAlphabet.Decode(key);
            if (bytes is null)
            {
                // Added tokens may be listed in the vocabulary in plain text.
                bytes = Encoding.UTF8.GetBytes(key);
            }

            result[Latin1(bytes)] = value is JsonValue v && v.TryGetValue<int>(out var id) ? id : throw new InvalidDataException($"{path}: {fieldPrefix}\"{key}\" is not an integer id");
        }

        return result;
    }

    private static (string, string) ParseMerge(string[] parts, string path, string where)
    {
        var left = parts.Length == 2 ? ByteLevelAlphabet.Decode(parts[0]) : null;
        var right = parts.Length == 2 ? ByteLevelAlphabet.Decode(parts[1]) : null;
        return left is not null && right is not null
            ? (Latin1(left), Latin1(right))
            : throw new InvalidDataException($"{path}: {where}: a merge must be two byte-level tokens separated by a space");
    }

    private static JsonObject ParseObject(string path, string text)
    {
        try
        {
            return JsonNode.Parse(text) as JsonObject ?? throw new InvalidDataException($"{path}: not a JSON object");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON ({e.Message})", e);
        }
    }

    private static string Latin1(byte[] bytes) => string.Create(bytes.Length, bytes, (span, b) =>
    {
        for (var i = 0; i < b.Length; i++)
        {
            span[i] = (char)b[i];
        }
    });

    private static byte[] Bytes(string latin1) => latin1.Select(c => (byte)c).ToArray();
}
