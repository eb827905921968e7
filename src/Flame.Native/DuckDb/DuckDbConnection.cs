using Flame.Native.Interop;

namespace Flame.Native.DuckDb;

/// <summary>
/// A connection to a <see cref="DuckDbDatabase"/>: runs SQL, prepares statements, creates
/// appenders. Not thread-safe; open one connection per thread.
/// </summary>
public sealed unsafe class DuckDbConnection : IDisposable
{
    private readonly DuckDbConnectionHandle _handle;

    internal DuckDbConnection(DuckDbConnectionHandle handle) => _handle = handle;

    /// <summary>Runs one or more statements separated by ';' and returns the rows the last one changed.</summary>
    /// <exception cref="DuckDbException">a statement failed; DuckDB's message.</exception>
    public long Execute(string sql)
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        var api = DuckDbApi.Instance;
        using var result = new DuckDbResultHandle();
        int state;
        fixed (byte* text = Utf8Z.Encode(sql))
        {
            state = api.Query(_handle.DangerousGetHandle(), text, result.Pointer);
        }

        if (state != 0)
        {
            throw new DuckDbException(Utf8Z.Decode(api.ResultError(result.Pointer), "DuckDB reported an error without a message."));
        }

        return (long)api.RowsChanged(result.Pointer);
    }

    /// <summary>Runs one statement with positional parameters and streams its result chunk by chunk.</summary>
    /// <exception cref="DuckDbException">the statement failed to prepare, bind or start; DuckDB's message.</exception>
    public DuckDbReader Query(string sql, params object?[] parameters)
    {
        // The reader owns the one-off statement, so it lives exactly as long as its result.
        var statement = Prepare(sql);
        return statement.Run(parameters, owner: statement);
    }

    /// <summary>Prepares one statement for repeated execution.</summary>
    /// <exception cref="DuckDbException">DuckDB could not parse or bind it; DuckDB's message.</exception>
    public DuckDbStatement Prepare(string sql)
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        return DuckDbStatement.Prepare(_handle, sql);
    }

    /// <summary>An appender for bulk rows into an existing table.</summary>
    /// <exception cref="DuckDbException">no such table; DuckDB's message.</exception>
    public DuckDbAppender CreateAppender(string table, string? schema = null)
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        return DuckDbAppender.Create(_handle, schema, table);
    }

    public void Dispose() => _handle.Dispose();
}
