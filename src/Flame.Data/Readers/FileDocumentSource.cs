namespace Flame.Data.Readers;

/// <summary>
/// A source reading one file, with the one rule for malformed input: throw, or with
/// <see cref="ReaderOptions.SkipBad"/> record it in the summary and go on.
/// </summary>
public abstract class FileDocumentSource : IDocumentSource
{
    protected FileDocumentSource(string path, ReaderOptions? options, BadInputSummary? summary)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Path = path;
        Options = options ?? ReaderOptions.Default;
        Options.Validate();
        Summary = summary ?? new BadInputSummary(Options.MaxExamples);
    }

    /// <summary>The file read.</summary>
    public string Path { get; }

    /// <summary>The reading options.</summary>
    public ReaderOptions Options { get; }

    public BadInputSummary Summary { get; }

    public abstract IEnumerable<Document> ReadDocuments();

    /// <summary>Throws <paramref name="bad"/>, or records it when bad input is skipped.</summary>
    /// <exception cref="CorpusFormatException"><see cref="ReaderOptions.SkipBad"/> is false.</exception>
    protected void Reject(CorpusFormatException bad)
    {
        if (!Options.SkipBad)
        {
            throw bad;
        }

        Summary.Record(bad);
    }

    /// <summary>A location in this file.</summary>
    protected DocumentOrigin At(long position, OriginUnit unit) => new(Path, position, unit);
}
