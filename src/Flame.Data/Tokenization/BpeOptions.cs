using System.Text;

namespace Flame.Data.Tokenization;

/// <summary>
/// How a byte-level BPE turns text into pieces before merging; the defaults are GPT-2's.
/// Each field is the tokenizer.json setting of the same name.
/// </summary>
public sealed record BpeOptions
{
    /// <summary>GPT-2's defaults: no normalization, no prefix space, split by the GPT-2 pattern.</summary>
    public static readonly BpeOptions Gpt2 = new();

    /// <summary>Unicode normalization applied first (GPT-NeoX: NFC); null for none.</summary>
    public NormalizationForm? Normalization { get; init; }

    /// <summary>ByteLevel add_prefix_space: a space is put before text that does not start with one.</summary>
    public bool AddPrefixSpace { get; init; }

    /// <summary>ByteLevel use_regex: split by <see cref="Pattern"/> (false: each text is one piece).</summary>
    public bool UseRegex { get; init; } = true;

    /// <summary>The split pattern: GPT-2's, or tiktoken's cl100k/o200k (a Split pre-tokenizer in tokenizer.json).</summary>
    public SplitPattern Pattern { get; init; } = SplitPattern.Gpt2;

    /// <summary>BPE ignore_merges: a piece that is a whole vocabulary token is taken as is.</summary>
    public bool IgnoreMerges { get; init; }

    /// <summary>The added token appended after every document, if the vocabulary has it.</summary>
    public string? EndOfDocument { get; init; } = TokenizerFiles.EndOfText;
}
