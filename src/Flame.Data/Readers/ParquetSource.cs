using Flame.Native.DuckDb;

namespace Flame.Data.Readers;

/// <summary>
/// A Parquet file read through DuckDB's read_parquet, one chunk of rows at a time; the text is
/// in a string column (<see cref="ReaderOptions.TextField"/>). Rows are numbered from 1 in file order.
/// </summary>
public sealed class ParquetSource : FileDocumentSource
{
    public ParquetSource(string path, ReaderOptions? options = null, BadInputSummary? summary = null)
        : base(path, options, summary)
    {
    }

    /// <exception cref="CorpusFormatException">a missing or non-string text column, a NULL text, or a truncated/corrupt file, when bad input is not skipped.</exception>
    public override IEnumerable<Document> ReadDocuments()
    {
        if (!File.Exists(Path))
        {
            throw new FileNotFoundException($"the Parquet file {Path} does not exist.", Path);
        }

        using var database = DuckDbDatabase.Open();
        using var connection = database.Connect();
        var reader = Start(connection);
        if (reader is null)
        {
            yield break;
        }

        using (reader)
        {
            var rows = 0L;
            while (true)
            {
                var chunk = NextChunk(reader, rows);
                if (chunk is null)
                {
                    yield break;
                }

                using (chunk)
                {
                    var texts = chunk.Column(0);
                    var positions = chunk.Column(1);
                    for (var i = 0; i < chunk.RowCount; i++)
                    {
                        var origin = At(positions.Values<long>()[i] + 1, OriginUnit.Row);
                        if (texts.GetString(i) is { } text)
                        {
                            yield return new Document(text, origin);
                        }
                        else
                        {
                            Reject(new CorpusFormatException(BadInputReason.NotAString, origin, $"column \"{Options.TextField}\" is NULL."));
                        }
                    }

                    rows += chunk.RowCount;
                }
            }
        }
    }

    /// <summary>Opens the file and checks the text column, or rejects the whole file (null when skipped).</summary>
    private DuckDbReader? Start(DuckDbConnection connection)
    {
        var column = "\"" + Options.TextField.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
        DuckDbReader reader;
        try
        {
            // Rows stream in file order (DuckDB preserves insertion order by default; no sort, so
            // memory stays bounded); file_row_number labels each row for error messages.
            reader = connection.Query($"SELECT {column}, file_row_number FROM read_parquet($1, file_row_number = true)", Path);
        }
        catch (DuckDbException e)
        {
            var missing = e.Message.Contains("not found", StringComparison.OrdinalIgnoreCase) && e.Message.Contains(Options.TextField, StringComparison.Ordinal);
            Reject(missing
                ? new CorpusFormatException(BadInputReason.MissingField, At(0, OriginUnit.File), $"there is no column \"{Options.TextField}\" ({e.Message})", e)
                : new CorpusFormatException(BadInputReason.BadParquet, At(0, OriginUnit.File), $"DuckDB cannot read the file: {e.Message}", e));
            return null;
        }

        if (reader.Columns[0].Type != DuckDbType.Varchar)
        {
            reader.Dispose();
            Reject(new CorpusFormatException(BadInputReason.NotAString, At(0, OriginUnit.File), $"column \"{Options.TextField}\" is {reader.Columns[0].Type}, not a string."));
            return null;
        }

        return reader;
    }

    /// <summary>The next chunk, or null at the end or after a corrupt part was rejected.</summary>
    private DuckDbChunk? NextChunk(DuckDbReader reader, long rowsRead)
    {
        try
        {
            return reader.ReadChunk();
        }
        catch (DuckDbException e)
        {
            Reject(new CorpusFormatException(BadInputReason.BadParquet, At(rowsRead + 1, OriginUnit.Row),
                $"DuckDB cannot read the file from here on: {e.Message}", e));
            return null;
        }
    }
}
