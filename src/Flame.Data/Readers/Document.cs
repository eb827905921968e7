namespace Flame.Data.Readers;

/// <summary>What a position in a corpus file counts.</summary>
public enum OriginUnit
{
    /// <summary>The whole file is the document (plain text).</summary>
    File,

    /// <summary>A 1-based line (JSONL, plain-text errors).</summary>
    Line,

    /// <summary>A 1-based row (Parquet).</summary>
    Row,
}

/// <summary>Where a document, or a bad piece of input, came from.</summary>
/// <param name="File">The file's path as the reader was given it.</param>
/// <param name="Position">The 1-based line or row; 0 when <paramref name="Unit"/> is <see cref="OriginUnit.File"/>.</param>
/// <param name="Unit">What <paramref name="Position"/> counts.</param>
public sealed record DocumentOrigin(string File, long Position, OriginUnit Unit)
{
    /// <summary>"file", "file:12" (line 12) or "file row 12".</summary>
    public override string ToString() => Unit switch
    {
        OriginUnit.Line => $"{File}:{Position}",
        OriginUnit.Row => $"{File} row {Position}",
        _ => File,
    };
}

/// <summary>One document of a corpus: its text and where it came from.</summary>
public sealed record Document(string Text, DocumentOrigin Origin);
