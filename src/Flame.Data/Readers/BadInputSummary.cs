using System.Text;

namespace Flame.Data.Readers;

/// <summary>One skipped piece of input.</summary>
public sealed record BadInput(BadInputReason Reason, DocumentOrigin Origin, string Detail)
{
    public override string ToString() => $"{Origin}: {Detail}";
}

/// <summary>
/// What the readers skipped (with <see cref="ReaderOptions.SkipBad"/>): counts per reason and
/// the first few examples with their file and line, so skipping is never silent. Also counts
/// blank JSONL lines, which are not documents and not errors. Filled by one enumeration at a
/// time (not thread-safe).
/// </summary>
public sealed class BadInputSummary
{
    private readonly Dictionary<BadInputReason, long> _counts = [];
    private readonly List<BadInput> _examples = [];
    private readonly int _maxExamples;

    public BadInputSummary(int maxExamples = 5) => _maxExamples = maxExamples;

    /// <summary>Skipped inputs per reason (reasons never seen are absent).</summary>
    public IReadOnlyDictionary<BadInputReason, long> Counts => _counts;

    /// <summary>The first skipped inputs, in reading order.</summary>
    public IReadOnlyList<BadInput> Examples => _examples;

    /// <summary>All skipped inputs.</summary>
    public long Total => _counts.Values.Sum();

    /// <summary>Whitespace-only JSONL lines passed over.</summary>
    public long BlankLines { get; private set; }

    /// <summary>Skipped inputs of one reason.</summary>
    public long Count(BadInputReason reason) => _counts.GetValueOrDefault(reason);

    /// <summary>A short report: the total, the count per reason, the examples.</summary>
    public override string ToString()
    {
        if (Total == 0)
        {
            return "no bad input" + (BlankLines > 0 ? $" ({BlankLines} blank lines passed over)" : "");
        }

        var report = new StringBuilder($"{Total} bad inputs skipped:");
        foreach (var (reason, count) in _counts.OrderBy(c => c.Key))
        {
            report.Append($" {reason} {count};");
        }

        report.AppendLine().Append("first ones:");
        foreach (var example in _examples)
        {
            report.AppendLine().Append("  ").Append(example);
        }

        return report.ToString();
    }

    internal void Record(CorpusFormatException bad)
    {
        _counts[bad.Reason] = Count(bad.Reason) + 1;
        if (_examples.Count < _maxExamples)
        {
            _examples.Add(new BadInput(bad.Reason, bad.Origin, bad.Detail));
        }
    }

    internal void RecordBlankLine() => BlankLines++;
}
