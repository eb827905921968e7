namespace Flame.Data.Readers;

/// <summary>A plain UTF-8 text file as one document (a leading byte-order mark is dropped).</summary>
public sealed class PlainTextSource : FileDocumentSource
{
    private static readonly byte[] ByteOrderMark = [0xEF, 0xBB, 0xBF];

    public PlainTextSource(string path, ReaderOptions? options = null, BadInputSummary? summary = null)
        : base(path, options, summary)
    {
    }

    /// <exception cref="CorpusFormatException">the file is not valid UTF-8 (the message gives the line) and bad input is not skipped.</exception>
    public override IEnumerable<Document> ReadDocuments()
    {
        // Read when enumerated, like the other sources.
        if (Read() is { } document)
        {
            yield return document;
        }
    }

    private Document? Read()
    {
        var bytes = File.ReadAllBytes(Path);
        var body = bytes.AsSpan().StartsWith(ByteOrderMark) ? bytes.AsSpan(ByteOrderMark.Length) : bytes;
        if (StrictUtf8.TryDecode(body, out var text, out var invalid))
        {
            return new Document(text, At(0, OriginUnit.File));
        }

        var line = body[..invalid].Count((byte)'\n') + 1;
        Reject(new CorpusFormatException(BadInputReason.InvalidUtf8, At(line, OriginUnit.Line), StrictUtf8.Describe(body, invalid)));
        return null;
    }
}
