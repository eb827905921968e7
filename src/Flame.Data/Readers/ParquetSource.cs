using DuckDB.NET.Data;
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

        using var connection = DuckDbConnections.Open();
        using var reader = Start(connection);
        if (reader is null)
        {
            yield break;
        }

        var rows = 0L;
        while (NextRow(reader, rows))
        {
            rows++;
            var origin = At(reader.GetInt64(1) + 1, OriginUnit.Row);
            if (!reader.IsDBNull(0))
            {
                yield return new Document(reader.GetString(0), origin);
            }
            else
            {
                Reject(new CorpusFormatException(BadInputReason.NotAString, origin, $"column \"{Options.TextField}\" is NULL."));
            }
        }
    }

    /// <summary>Opens the file and checks the text column, or rejects the whole file (null when skipped).</summary>
    private DuckDBDataReader? Start(DuckDBConnection connection)
    {
        var column = "\"" + Options.TextField.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
        DuckDBDataReader reader;
        try
        {
            // Rows stream in file order (DuckDB preserves insertion order by default; no sort, so
            // memory stays bounded); file_row_number labels each row for error messages.
            reader = connection.Query($"SELECT {column}, file_row_number FROM read_parquet($1, file_row_number = true)", Path);
        }
        catch (DuckDBException e)
        {
            var missing = e.Message.Contains("not found", StringComparison.OrdinalIgnoreCase) && e.Message.Contains(Options.TextField, StringComparison.Ordinal);
            Reject(missing
                ? new CorpusFormatException(BadInputReason.MissingField, At(0, OriginUnit.File), $"there is no column \"{Options.TextField}\" ({DuckDbConnections.Reason(e)})", e)
                : new CorpusFormatException(BadInputReason.BadParquet, At(0, OriginUnit.File), $"DuckDB cannot read the file: {DuckDbConnections.Reason(e)}", e));
            return null;
        }

        if (reader.GetFieldType(0) != typeof(string))
        {
            var type = reader.GetDataTypeName(0);
            reader.Dispose();
            Reject(new CorpusFormatException(BadInputReason.NotAString, At(0, OriginUnit.File), $"column \"{Options.TextField}\" is {type}, not a string."));
            return null;
        }

        return reader;
    }

    /// <summary>Moves to the next row; false at the end or after a corrupt part was rejected.</summary>
    private bool NextRow(DuckDBDataReader reader, long rowsRead)
    {
        try
        {
            return reader.Read();
        }
        catch (DuckDBException e)
        {
            Reject(new CorpusFormatException(BadInputReason.BadParquet, At(rowsRead + 1, OriginUnit.Row),
                $"DuckDB cannot read the file from here on: {DuckDbConnections.Reason(e)}", e));
            return false;
        }
    }
}
