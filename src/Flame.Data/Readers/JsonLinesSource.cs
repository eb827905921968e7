using System.Text;
using System.Text.Json;
using Flame.Native.Zstd;

namespace Flame.Data.Readers;

/// <summary>
/// JSON Lines (DCLM-style: one JSON object per line, the text in a field, "text" by default),
/// plain or zstd-compressed (.zst), read line by line. Blank lines are passed over and counted.
/// </summary>
public sealed class JsonLinesSource : FileDocumentSource
{
    private readonly byte[] _field;

    public JsonLinesSource(string path, ReaderOptions? options = null, BadInputSummary? summary = null)
        : base(path, options, summary) => _field = Encoding.UTF8.GetBytes(Options.TextField);

    /// <summary>Whether the file is decompressed with zstd (its name ends in .zst or .zstd).</summary>
    public bool IsCompressed =>
        Path.EndsWith(".zst", StringComparison.OrdinalIgnoreCase) || Path.EndsWith(".zstd", StringComparison.OrdinalIgnoreCase);

    /// <exception cref="CorpusFormatException">a bad line (JSON, UTF-8, field) or a truncated/corrupt .zst, when bad input is not skipped.</exception>
    public override IEnumerable<Document> ReadDocuments()
    {
        using var stream = Open();
        var lines = new ByteLineReader(stream, Options.MaxLineBytes);
        while (true)
        {
            ReadOnlyMemory<byte> line;
            bool tooLong;
            try
            {
                if (!lines.TryReadLine(out line, out tooLong))
                {
                    yield break;
                }
            }
            catch (InvalidDataException e) when (IsCompressed)
            {
                // The rest of a broken compressed file cannot be read: record it once and stop.
                Reject(new CorpusFormatException(BadInputReason.BadCompression, At(lines.LineNumber, OriginUnit.Line),
                    $"the zstd data breaks off here, so this line and any after it are lost ({e.Message})", e));
                yield break;
            }

            var origin = At(lines.LineNumber, OriginUnit.Line);
            if (tooLong)
            {
                Reject(new CorpusFormatException(BadInputReason.LineTooLong, origin, $"the line is longer than {Options.MaxLineBytes} bytes."));
                continue;
            }

            if (IsBlank(line.Span))
            {
                Summary.RecordBlankLine();
                continue;
            }

            var bad = TryParse(line.Span, origin, out var text);
            if (bad is not null)
            {
                Reject(bad);
                continue;
            }

            yield return new Document(text!, origin);
        }
    }

    private Stream Open()
    {
        var file = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        return IsCompressed ? new ZstdDecompressionStream(file, Path) : file;
    }

    /// <summary>The text field of one line, or what is wrong with the line.</summary>
    private CorpusFormatException? TryParse(ReadOnlySpan<byte> line, DocumentOrigin origin, out string? text)
    {
        text = null;
        if (!System.Text.Unicode.Utf8.IsValid(line) && !StrictUtf8.TryDecode(line, out _, out var invalid))
        {
            return new CorpusFormatException(BadInputReason.InvalidUtf8, origin, StrictUtf8.Describe(line, invalid));
        }

        var found = false;
        try
        {
            var reader = new Utf8JsonReader(line, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return new CorpusFormatException(BadInputReason.InvalidJson, origin, $"the line is a JSON {reader.TokenType}, not an object.");
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isField = !found && reader.ValueTextEquals(_field);
                reader.Read();
                if (isField)
                {
                    found = true;
                    if (reader.TokenType != JsonTokenType.String)
                    {
                        return new CorpusFormatException(BadInputReason.NotAString, origin, $"field \"{Options.TextField}\" is {Describe(reader.TokenType)}, not a string.");
                    }

                    text = reader.GetString();
                }
                else
                {
                    reader.Skip();
                }
            }

            // Read to the end so trailing garbage after the object is caught too.
            while (reader.Read())
            {
            }
        }
        catch (JsonException e)
        {
            return new CorpusFormatException(BadInputReason.InvalidJson, origin, $"invalid JSON: {e.Message}", e);
        }

        return found ? null : new CorpusFormatException(BadInputReason.MissingField, origin, $"the object has no field \"{Options.TextField}\".");
    }

    private static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.Null => "null",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        _ => token.ToString(),
    };

    private static bool IsBlank(ReadOnlySpan<byte> line) => line.IndexOfAnyExcept(" \t\r"u8) < 0;
}
