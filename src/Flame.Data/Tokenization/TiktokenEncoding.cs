namespace Flame.Data.Tokenization;

/// <summary>
/// One of tiktoken's encodings, as tiktoken defines it (tiktoken_ext/openai_public.py): the rank
/// file's name and size, the split pattern and the special tokens. A .tiktoken file holds only
/// the ranks, so the rest comes from knowing which encoding the file is.
/// </summary>
public sealed record TiktokenEncoding(string Name, int Ranks, SplitPattern Pattern, IReadOnlyDictionary<string, int> SpecialTokens)
{
    public static readonly IReadOnlyList<TiktokenEncoding> Known =
    [
        new("r50k_base", 50_256, SplitPattern.Gpt2, new Dictionary<string, int> { [TokenizerFiles.EndOfText] = 50_256 }),
        new("p50k_base", 50_280, SplitPattern.Gpt2, new Dictionary<string, int> { [TokenizerFiles.EndOfText] = 50_256 }),
        new("cl100k_base", 100_256, SplitPattern.Cl100k, new Dictionary<string, int>
        {
            [TokenizerFiles.EndOfText] = 100_257, ["<|fim_prefix|>"] = 100_258, ["<|fim_middle|>"] = 100_259, ["<|fim_suffix|>"] = 100_260, ["<|endofprompt|>"] = 100_276,
        }),
        new("o200k_base", 199_998, SplitPattern.O200k, new Dictionary<string, int> { [TokenizerFiles.EndOfText] = 199_999, ["<|endofprompt|>"] = 200_018 }),
    ];

    /// <summary>
    /// The encoding of a rank file: by its name (cl100k_base.tiktoken), else by its number of
    /// ranks, which differs between the four.
    /// </summary>
    /// <exception cref="InvalidDataException">neither says which encoding it is.</exception>
    public static TiktokenEncoding Of(string path, int ranks)
    {
        var name = Path.GetFileNameWithoutExtension(path);
        return Known.FirstOrDefault(e => string.Equals(e.Name, name, StringComparison.OrdinalIgnoreCase))
            ?? Known.FirstOrDefault(e => e.Ranks == ranks)
            ?? throw new InvalidDataException(
                $"{path}: {ranks:N0} ranks and a name that is none of tiktoken's encodings ({string.Join(", ", Known.Select(e => $"{e.Name}: {e.Ranks:N0}"))}), "
                + "so its split pattern and special tokens are unknown; name the file after its encoding (e.g. cl100k_base.tiktoken)");
    }
}
