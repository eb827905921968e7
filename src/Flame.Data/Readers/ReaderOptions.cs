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

    /// <summary>Checks every setting at once.</summary>
    /// <exception cref="ArgumentException">some settings are out of range; the message lists them all.</exception>
    public void Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrEmpty(TextField))
        {
            errors.Add("TextField must name a field or column");
        }

        if (MaxExamples < 0)
        {
            errors.Add($"MaxExamples must be 0 or more, not {MaxExamples}");
        }

        if (MaxLineBytes <= 0)
        {
            errors.Add($"MaxLineBytes must be positive, not {MaxLineBytes}");
        }

        if (errors.Count > 0)
        {
            throw new ArgumentException("invalid reader options: " + string.Join("; ", errors) + ".");
        }
    }
}
