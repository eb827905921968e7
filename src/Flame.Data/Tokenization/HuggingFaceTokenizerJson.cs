using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Flame.Onnx.IO;

namespace Flame.Data.Tokenization;

/// <summary>
/// Hugging Face tokenizer.json for byte-level BPEs. Reads the shapes GPT-2, GPT-NeoX/Pythia and
/// tokenizers' own trainer write: model BPE (merges as "a b" or ["a", "b"]), a ByteLevel
/// pre-tokenizer (alone or as the only member of a Sequence), normalizer none/NFC/NFKC/NFD/NFKD,
/// added tokens. Anything that would change the ids and is not implemented is refused with the
/// field named. Post-processors and truncation/padding are not applied: <see cref="BpeTokenizer.Encode(string)"/>
/// returns the model's ids of the text alone (add_special_tokens=False).
/// </summary>
internal static class HuggingFaceTokenizerJson
{
    public static BpeTokenizer Load(string path)
    {
        var root = TokenizerFiles.ParseObject(path);
        var model = root["model"] as JsonObject ?? throw Bad(path, "model", "is missing (a byte-level BPE needs a \"model\" object)");
        if (Text(model, "type", path, "model") is not "BPE")
        {
            throw Bad(path, "model.type", $"is \"{Text(model, "type", path, "model")}\"; only byte-level BPE (\"BPE\") is supported");
        }

        if (model["dropout"] is JsonValue dropout && (!dropout.TryGetValue<double>(out var p) || p != 0))
        {
            throw Bad(path, "model.dropout", $"is {dropout.ToJsonString()}; BPE dropout (random merges) is not supported");
        }

        foreach (var affix in new[] { "continuing_subword_prefix", "end_of_word_suffix" }.Where(a => Text(model, a, path, "model") is { Length: > 0 }))
        {
            throw Bad(path, $"model.{affix}", $"is \"{Text(model, affix, path, "model")}\"; a byte-level BPE has none");
        }

        var vocabulary = TokenizerFiles.ReadVocabulary(path, model["vocab"] as JsonObject ?? throw Bad(path, "model.vocab", "is missing or not an object"), "model.vocab.");
        var mergeNodes = model["merges"] as JsonArray ?? throw Bad(path, "model.merges", "is missing or not an array");
        var merges = new List<(string, string)>(mergeNodes.Count);
        for (var i = 0; i < mergeNodes.Count; i++)
        {
            var parts = mergeNodes[i] switch
            {
                JsonArray pair when pair.All(p => p is JsonValue v && v.TryGetValue<string>(out _)) => pair.Select(p => p!.GetValue<string>()).ToArray(),
                JsonValue line when line.TryGetValue<string>(out var text) => text.Split(' '),
                _ => [],
            };
            merges.Add(TokenizerFiles.ParseMerge(parts, vocabulary, $"{path}: model.merges[{i}]"));
        }

        var (byteLevel, split) = ByteLevelPreTokenizer(path, root["pre_tokenizer"]);
        CheckDecoder(path, root["decoder"]);
        var options = new BpeOptions
        {
            Normalization = Normalization(path, root["normalizer"], "normalizer"),
            AddPrefixSpace = Flag(byteLevel, "add_prefix_space", false, path, "pre_tokenizer"),
            UseRegex = split is not null || Flag(byteLevel, "use_regex", true, path, "pre_tokenizer"),
            Pattern = split ?? SplitPattern.Gpt2,
            IgnoreMerges = Flag(model, "ignore_merges", false, path, "model"),
        };
        return new BpeTokenizer(TokenizerFiles.TokensById(vocabulary), merges, AddedTokens(path, root["added_tokens"]), options);
    }

    public static void Save(BpeTokenizer tokenizer, string path)
    {
        var vocab = new JsonObject();
        for (var id = 0; id < tokenizer.Tokens.Count; id++)
        {
            if (tokenizer.Tokens[id] is { } token)
            {
                vocab[ByteLevelAlphabet.Encode(TokenizerFiles.Bytes(token))] = id;
            }
        }

        // Added tokens are in the model's vocabulary too, as Hugging Face writes them: its loader
        // takes an added token's id from the vocabulary and would otherwise number it after the
        // last entry (tiktoken's p50k has <|endoftext|> = 50256 inside the ranks, not after them).
        foreach (var added in tokenizer.AddedTokens.Where(t => t.Id >= tokenizer.Tokens.Count || tokenizer.Tokens[t.Id] is null))
        {
            vocab[ByteLevelAlphabet.Encode(Encoding.UTF8.GetBytes(added.Content))] = added.Id;
        }

        JsonObject ByteLevel(bool addPrefixSpace, bool useRegex) => new()
        {
            ["type"] = "ByteLevel", ["add_prefix_space"] = addPrefixSpace, ["trim_offsets"] = true, ["use_regex"] = useRegex,
        };

        // GPT-2's split is ByteLevel's own; tiktoken's others are a Split before it, written as Hugging Face converts them.
        var options = tokenizer.Options;
        var preTokenizer = options.Pattern == SplitPattern.Gpt2 || !options.UseRegex
            ? ByteLevel(options.AddPrefixSpace, options.UseRegex)
            : new JsonObject
            {
                ["type"] = "Sequence",
                ["pretokenizers"] = new JsonArray(
                    new JsonObject { ["type"] = "Split", ["pattern"] = new JsonObject { ["Regex"] = SplitPatterns.Source(options.Pattern) }, ["behavior"] = "Removed", ["invert"] = true },
                    ByteLevel(options.AddPrefixSpace, useRegex: false)),
            };
        var root = new JsonObject
        {
            ["version"] = "1.0",
            ["truncation"] = null,
            ["padding"] = null,
            ["added_tokens"] = new JsonArray([.. tokenizer.AddedTokens.Select(t => (JsonNode)new JsonObject
            {
                ["id"] = t.Id, ["content"] = t.Content, ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false, ["normalized"] = t.Normalized, ["special"] = t.Special,
            })]),
            ["normalizer"] = tokenizer.Options.Normalization is { } form ? new JsonObject { ["type"] = NormalizerNames.Single(n => n.Value == form).Key } : null,
            ["pre_tokenizer"] = preTokenizer,
            ["post_processor"] = null,
            // Hugging Face writes the decoder's add_prefix_space as true; decoding ignores it.
            ["decoder"] = ByteLevel(true, true),
            ["model"] = new JsonObject
            {
                ["type"] = "BPE", ["dropout"] = null, ["unk_token"] = null, ["continuing_subword_prefix"] = null, ["end_of_word_suffix"] = null,
                ["fuse_unk"] = false, ["byte_fallback"] = false, ["ignore_merges"] = tokenizer.Options.IgnoreMerges,
                ["vocab"] = vocab,
                ["merges"] = new JsonArray([.. tokenizer.Merges.Select(m => (JsonNode)$"{ByteLevelAlphabet.Encode(TokenizerFiles.Bytes(m.Left))} {ByteLevelAlphabet.Encode(TokenizerFiles.Bytes(m.Right))}")]),
            },
        };
        AtomicFile.WriteAllText(path, root.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
    }

    private static readonly Dictionary<string, NormalizationForm> NormalizerNames = new()
    {
        ["NFC"] = NormalizationForm.FormC, ["NFD"] = NormalizationForm.FormD, ["NFKC"] = NormalizationForm.FormKC, ["NFKD"] = NormalizationForm.FormKD,
    };

    // null, one Unicode normalization, or a Sequence holding one.
    private static NormalizationForm? Normalization(string path, JsonNode? node, string field)
    {
        if (node is null)
        {
            return null;
        }

        var type = Text(node as JsonObject ?? throw Bad(path, field, "must be an object or null"), "type", path, field);
        if (type == "Sequence" && node["normalizers"] is JsonArray { Count: <= 1 } members)
        {
            return members.Count == 0 ? null : Normalization(path, members[0], $"{field}.normalizers[0]");
        }

        return type is not null && NormalizerNames.TryGetValue(type, out var form)
            ? form
            : throw Bad(path, $"{field}.type", $"is \"{type}\"; supported: null, NFC, NFKC, NFD, NFKD (or a Sequence of one of them)");
    }

    // ByteLevel, or a Sequence whose only member is ByteLevel (any other splitter would change the pieces).
    /// <summary>The ByteLevel pre-tokenizer, alone or last in a Sequence, and the pattern of a tiktoken Split before it.</summary>
    private static (JsonObject ByteLevel, SplitPattern? Split) ByteLevelPreTokenizer(string path, JsonNode? node)
    {
        var field = "pre_tokenizer";
        SplitPattern? split = null;
        if (node is JsonObject sequence && Text(sequence, "type", path, field) == "Sequence" && sequence["pretokenizers"] is JsonArray members)
        {
            if (members.Count == 2 && members[0] is JsonObject first && Text(first, "type", path, $"{field}.pretokenizers[0]") == "Split")
            {
                split = TiktokenSplit(path, first, $"{field}.pretokenizers[0]");
                if (members[1] is JsonObject second && Flag(second, "use_regex", true, path, $"{field}.pretokenizers[1]"))
                {
                    throw Bad(path, $"{field}.pretokenizers[1].use_regex", "is true after a Split; the pieces would be split twice");
                }

                (node, field) = (members[1], $"{field}.pretokenizers[1]");
            }
            else if (members.Count > 1)
            {
                var other = members[1] is JsonObject o ? Text(o, "type", path, $"{field}.pretokenizers[1]") : null;
                throw Bad(path, $"{field}.pretokenizers[1].type", $"is \"{other}\"; only a ByteLevel pre-tokenizer, alone or after a tiktoken Split, is supported");
            }
            else
            {
                (node, field) = (members.Count == 1 ? members[0] : null, $"{field}.pretokenizers[0]");
            }
        }

        return node is JsonObject byteLevel && Text(byteLevel, "type", path, field) == "ByteLevel"
            ? (byteLevel, split)
            : throw Bad(path, $"{field}.type", $"is {(node is JsonObject found ? $"\"{Text(found, "type", path, field)}\"" : "missing")}; a byte-level BPE needs the ByteLevel pre-tokenizer");
    }

    /// <summary>A Split that keeps the matches of one of tiktoken's patterns (behavior Removed, invert true: tiktoken's findall).</summary>
    private static SplitPattern TiktokenSplit(string path, JsonObject split, string field)
    {
        var regex = split["pattern"] is JsonObject pattern ? Text(pattern, "Regex", path, $"{field}.pattern") : null;
        if (regex is null || SplitPatterns.FromSource(regex) is not { } known)
        {
            throw Bad(path, $"{field}.pattern.Regex", "is not one of tiktoken's split patterns (GPT-2, cl100k_base, o200k_base); other patterns are not supported");
        }

        if (Text(split, "behavior", path, field) != "Removed" || !Flag(split, "invert", false, path, field))
        {
            throw Bad(path, $"{field}.behavior", "must be \"Removed\" with invert true (keep the pattern's matches, as tiktoken does)");
        }

        return known;
    }

    private static void CheckDecoder(string path, JsonNode? node)
    {
        if (node is JsonObject decoder && Text(decoder, "type", path, "decoder") is not ("ByteLevel" or null))
        {
            throw Bad(path, "decoder.type", $"is \"{Text(decoder, "type", path, "decoder")}\"; a byte-level BPE decodes with ByteLevel");
        }
    }

    private static List<AddedToken> AddedTokens(string path, JsonNode? node)
    {
        var result = new List<AddedToken>();
        if (node is null)
        {
            return result;
        }

        var items = node as JsonArray ?? throw Bad(path, "added_tokens", "must be an array");
        for (var i = 0; i < items.Count; i++)
        {
            var field = $"added_tokens[{i}]";
            var item = items[i] as JsonObject ?? throw Bad(path, field, "must be an object");
            var id = item["id"] is JsonValue v && v.TryGetValue<int>(out var value) && value >= 0 ? value : throw Bad(path, $"{field}.id", "must be a non-negative integer");
            var content = Text(item, "content", path, field) ?? throw Bad(path, $"{field}.content", "is missing");
            var special = Flag(item, "special", false, path, field);
            foreach (var option in new[] { "lstrip", "rstrip", "single_word" }.Where(o => !special && Flag(item, o, false, path, field)))
            {
                throw Bad(path, $"{field}.{option}", $"is true for the non-special token \"{content}\"; matching it in text that way is not supported");
            }

            result.Add(new AddedToken(id, content, special, Flag(item, "normalized", !special, path, field)));
        }

        return result;
    }

    private static string? Text(JsonObject owner, string name, string path, string field) => owner[name] switch
    {
        null => null,
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        _ => throw Bad(path, $"{field}.{name}", "must be a string"),
    };

    private static bool Flag(JsonObject owner, string name, bool fallback, string path, string field) => owner[name] switch
    {
        null => fallback,
        JsonValue v when v.TryGetValue<bool>(out var b) => b,
        _ => throw Bad(path, $"{field}.{name}", "must be true or false"),
    };

    private static InvalidDataException Bad(string path, string field, string problem) => new($"{path}: {field} {problem}");
}
