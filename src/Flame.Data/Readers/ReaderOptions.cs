namespace Flame.Data.Readers;

/// <summary>How corpus readers read and what they do with malformed input.</summary>
/// <param name="TextField">The JSON field or Parquet column that holds a document's text (DCLM uses "text").</param>
/// <param name="SkipBad">False: the first malformed document throws <see cref="CorpusFormatException"/>. True: it is skipped and counted in the summary.</param>
/// <param name="MaxExamples">How many bad inputs the summary keeps as examples (the counts are always complete).</param>
/// <param name="MaxLineBytes">The longest JSONL line accepted (a guard against unbounded memory on a file without newlines).</param>
public sealed record ReaderOptions(
    string TextField = "text",
    bool SkipBad = false,
    int MaxExamples = 5,
    int MaxLineBytes = 64 << 20)
{
    /// <summary>Defaults: field "text", malformed input throws.</summary>
    public static ReaderOptions Default { get; } = new();
}
