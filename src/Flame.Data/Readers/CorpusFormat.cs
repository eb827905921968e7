namespace Flame.Data.Readers;

/// <summary>The corpus file formats, recognised by file name.</summary>
public enum CorpusFormat
{
    /// <summary>.txt: the whole file is one document.</summary>
    PlainText,

    /// <summary>.jsonl, .ndjson, and the same with .zst (or .jsonl.zstd): one JSON object per line.</summary>
    JsonLines,

    /// <summary>.parquet: one row per document.</summary>
    Parquet,
}

/// <summary>Which format a file name means.</summary>
public static class CorpusFormats
{
    private static readonly (string Suffix, CorpusFormat Format)[] Suffixes =
    [
        (".txt", CorpusFormat.PlainText),
        (".jsonl", CorpusFormat.JsonLines),
        (".ndjson", CorpusFormat.JsonLines),
        (".jsonl.zst", CorpusFormat.JsonLines),
        (".ndjson.zst", CorpusFormat.JsonLines),
        (".jsonl.zstd", CorpusFormat.JsonLines),
        (".parquet", CorpusFormat.Parquet),
    ];

    /// <summary>The suffixes readers recognise, for messages.</summary>
    public static IEnumerable<string> KnownSuffixes => Suffixes.Select(s => s.Suffix);

    /// <summary>The format of <paramref name="path"/>, or null when its name has no known suffix.</summary>
    public static CorpusFormat? Detect(string path)
    {
        foreach (var (suffix, format) in Suffixes)
        {
            if (path.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
            {
                return format;
            }
        }

        return null;
    }
}
