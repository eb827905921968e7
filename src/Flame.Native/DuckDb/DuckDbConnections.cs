using DuckDB.NET.Data;

namespace Flame.Native.DuckDb;

/// <summary>
/// Opens DuckDB connections (DuckDB.NET's ADO.NET provider) the way the platform needs them:
/// nothing is ever downloaded (extensions are never auto-installed; Parquet and JSON are built
/// into the Full package's library); results stream chunk by chunk (DuckDB.NET otherwise
/// materialises a whole result first: 175 vs 78 MiB peak for 2M trace rows, and GBs for the
/// released 52M-token traces); and a query that spills writes to a folder of its own under the
/// system temp folder, never to the working directory (DuckDB's default, ".tmp").
/// </summary>
public static class DuckDbConnections
{
    /// <summary>An open connection to a new in-memory database, or to a database file.</summary>
    /// <param name="path">The database file, or null for memory.</param>
    /// <param name="memoryLimit">DuckDB's memory_limit (e.g. "1GB"); past it, a file database spills to its file.</param>
    /// <exception cref="DuckDBException">DuckDB could not open the file; DuckDB's message.</exception>
    public static DuckDBConnection Open(string? path = null, string? memoryLimit = null)
    {
        var settings = new DuckDBConnectionStringBuilder
        {
            DataSource = path ?? ":memory:",
            AutoinstallKnownExtensions = false,
            TempDirectory = Path.Combine(Path.GetTempPath(), $"flame-duckdb-{Environment.ProcessId}"),
        };
        if (memoryLimit is not null)
        {
            settings.MemoryLimit = memoryLimit;
        }

        var connection = new DuckDBConnection(settings.ConnectionString);
        try
        {
            connection.Open();
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>Runs <paramref name="sql"/> with positional parameters ($1, $2, ...) and streams the rows.</summary>
    /// <exception cref="DuckDBException">the statement failed; DuckDB's message.</exception>
    public static DuckDBDataReader Query(this DuckDBConnection connection, string sql, params object?[] parameters)
    {
        using var command = Command(connection, sql, parameters);
        return command.ExecuteReader();
    }

    /// <summary>Runs a statement that returns no rows.</summary>
    /// <exception cref="DuckDBException">the statement failed; DuckDB's message.</exception>
    public static void Execute(this DuckDBConnection connection, string sql, params object?[] parameters)
    {
        using var command = Command(connection, sql, parameters);
        command.ExecuteNonQuery();
    }

    /// <summary>
    /// Runs <paramref name="sql"/> and streams its result as Arrow record batches (columns of
    /// DuckDB's vectors, lists as offsets + one values array): the bulk path for large scans.
    /// Each batch is the caller's to dispose.
    /// </summary>
    /// <exception cref="DuckDBException">the statement failed; DuckDB's message.</exception>
    public static IEnumerable<Apache.Arrow.RecordBatch> Batches(this DuckDBConnection connection, string sql, params object?[] parameters)
    {
        using var command = Command(connection, sql, parameters);
        using var stream = command.ExecuteArrowStream();
        while (stream.ReadNextRecordBatchAsync().AsTask().GetAwaiter().GetResult() is { } batch)
        {
            yield return batch;
        }
    }

    /// <summary>DuckDB's reason for an error: its message's first line (the rest repeats the SQL, with a caret under the fault).</summary>
    public static string Reason(DuckDBException error) => error.Message.Split('\n', 2)[0].Trim();

    private static DuckDBCommand Command(DuckDBConnection connection, string sql, object?[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.UseStreamingMode = true;
        foreach (var value in parameters)
        {
            command.Parameters.Add(new DuckDBParameter(value ?? DBNull.Value));
        }

        return command;
    }
}
