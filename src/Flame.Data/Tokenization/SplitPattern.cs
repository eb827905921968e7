using System.Text.RegularExpressions;

namespace Flame.Data.Tokenization;

/// <summary>How text is split into pieces before BPE merges (BPE never merges across pieces).</summary>
public enum SplitPattern
{
    /// <summary>GPT-2's (also tiktoken's r50k/p50k and GPT-NeoX's ByteLevel): the default.</summary>
    Gpt2,

    /// <summary>tiktoken's cl100k_base: case-insensitive contractions, digits in groups of 1–3, punctuation before letters.</summary>
    Cl100k,

    /// <summary>tiktoken's o200k_base: cl100k's ideas with case-aware letter classes that take combining marks.</summary>
    O200k,
}

/// <summary>
/// The split patterns: each as tiktoken and Hugging Face write it (a Rust / Oniguruma regex, kept
/// byte for byte so tokenizer.json files match theirs) and as a .NET regex, which has no
/// possessive quantifiers: X?+ and X++ become the atomic groups (?&gt;X?) and (?&gt;X+), which
/// match the same.
/// </summary>
public static partial class SplitPatterns
{
    /// <summary>tiktoken's pattern string (openai_public.py), also the Regex of a Hugging Face Split pre-tokenizer.</summary>
    public static string Source(SplitPattern pattern) => pattern switch
    {
        SplitPattern.Gpt2 => @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+",
        SplitPattern.Cl100k => @"'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]++[\r\n]*|\s*[\r\n]|\s+(?!\S)|\s+",
        SplitPattern.O200k => string.Join("|",
            @"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
            @"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
            @"\p{N}{1,3}",
            @" ?[^\s\p{L}\p{N}]+[\r\n/]*",
            @"\s*[\r\n]+",
            @"\s+(?!\S)",
            @"\s+"),
        _ => throw new ArgumentOutOfRangeException(nameof(pattern), pattern, null),
    };

    /// <summary>The pattern whose source is <paramref name="source"/>, if it is one of ours.</summary>
    public static SplitPattern? FromSource(string source) =>
        Enum.GetValues<SplitPattern>().Cast<SplitPattern?>().FirstOrDefault(p => Source(p!.Value) == source);

    /// <summary>The compiled .NET regex of a pattern.</summary>
    public static Regex Regex(SplitPattern pattern) => pattern switch
    {
        SplitPattern.Gpt2 => Gpt2(),
        SplitPattern.Cl100k => Cl100k(),
        SplitPattern.O200k => O200k(),
        _ => throw new ArgumentOutOfRangeException(nameof(pattern), pattern, null),
    };

    [GeneratedRegex(@"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+")]
    private static partial Regex Gpt2();

    [GeneratedRegex(@"'(?i:[sdmt]|ll|ve|re)|(?>[^\r\n\p{L}\p{N}]?)\p{L}+|\p{N}{1,3}| ?(?>[^\s\p{L}\p{N}]+)[\r\n]*|\s*[\r\n]|\s+(?!\S)|\s+", RegexOptions.CultureInvariant)]
    private static partial Regex Cl100k();

    [GeneratedRegex(@"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+", RegexOptions.CultureInvariant)]
    private static partial Regex O200k();
}
