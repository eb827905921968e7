namespace Flame.Data.Readers;

/// <summary>
/// A stream of corpus documents read with bounded memory (one document, or one chunk of
/// Parquet rows, at a time).
/// </summary>
public interface IDocumentSource
{
    /// <summary>What the source skipped so far (with <see cref="ReaderOptions.SkipBad"/>); complete once enumeration ends.</summary>
    BadInputSummary Summary { get; }

    /// <summary>The documents in file order. Each enumeration reads the files again.</summary>
    /// <exception cref="CorpusFormatException">malformed input and <see cref="ReaderOptions.SkipBad"/> is false; the message names the file and line or row.</exception>
    /// <exception cref="IOException">a file cannot be read.</exception>
    IEnumerable<Document> ReadDocuments();
}
