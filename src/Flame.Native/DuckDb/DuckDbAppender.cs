using Flame.Native.Interop;

namespace Flame.Native.DuckDb;

/// <summary>
/// Appends rows to an existing table much faster than INSERT: call <see cref="Append"/> once
/// per column, then <see cref="EndRow"/>. LIST columns take arrays (float[], short[], ...).
/// Rows reach the table on <see cref="Flush"/> or <see cref="Dispose"/>; a failed append
/// invalidates the appender (DuckDB's rule), so build a new one after an error.
/// </summary>
public sealed unsafe class DuckDbAppender : IDisposable
{
    private readonly DuckDbAppenderHandle _handle;

    private DuckDbAppender(DuckDbAppenderHandle handle, string table)
    {
        _handle = handle;
        Table = table;
        ColumnCount = (int)DuckDbApi.Instance.AppenderColumnCount(handle.DangerousGetHandle());
    }

    /// <summary>The table appended to.</summary>
    public string Table { get; }

    /// <summary>Columns per row.</summary>
    public int ColumnCount { get; }

    /// <summary>Appends the next column's value: null, bool, integers, float, double, string, or a numeric/string array for a LIST column.</summary>
    /// <exception cref="DuckDbException">DuckDB rejected the value (wrong type, too many columns); DuckDB's message.</exception>
    /// <exception cref="NotSupportedException">the CLR type has no DuckDB counterpart here.</exception>
    public DuckDbAppender Append(object? value)
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        using var native = DuckDbValues.Create(value);
        Check(DuckDbApi.Instance.AppendValue(_handle.DangerousGetHandle(), native.DangerousGetHandle()), "append a value to");
        return this;
    }

    /// <summary>Appends a whole row: one value per column, then ends the row.</summary>
    /// <exception cref="DuckDbException">DuckDB rejected a value or the row is incomplete; DuckDB's message.</exception>
    public void AppendRow(params object?[] values)
    {
        foreach (var value in values)
        {
            Append(value);
        }

        EndRow();
    }

    /// <summary>An empty chunk shaped like the table, to fill and pass to <see cref="AppendChunk"/> (reusable).</summary>
    public DuckDbAppendChunk CreateChunk()
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        var api = DuckDbApi.Instance;
        var types = new DuckDbLogicalTypeHandle[ColumnCount];
        try
        {
            var raw = new nint[ColumnCount];
            var columns = new DuckDbColumn[ColumnCount];
            for (var i = 0; i < ColumnCount; i++)
            {
                types[i] = new DuckDbLogicalTypeHandle(api.AppenderColumnType(_handle.DangerousGetHandle(), (ulong)i));
                raw[i] = types[i].DangerousGetHandle();
                columns[i] = new DuckDbColumn($"column{i}", (DuckDbType)api.GetTypeId(raw[i]), DuckDbReader.ElementType(types[i]));
            }

            fixed (nint* p = raw)
            {
                return new DuckDbAppendChunk(new DuckDbChunkHandle(api.CreateDataChunk(p, (ulong)raw.Length)), columns);
            }
        }
        finally
        {
            foreach (var type in types)
            {
                type?.Dispose();
            }
        }
    }

    /// <summary>Appends the chunk's <see cref="DuckDbAppendChunk.RowCount"/> rows, then empties it for the next batch.</summary>
    /// <exception cref="DuckDbException">DuckDB rejected the chunk; DuckDB's message.</exception>
    public void AppendChunk(DuckDbAppendChunk chunk)
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        try
        {
            Check(DuckDbApi.Instance.AppendDataChunk(_handle.DangerousGetHandle(), chunk.Seal()), "append a chunk to");
        }
        finally
        {
            chunk.Reset();
        }
    }

    /// <summary>Ends the current row.</summary>
    /// <exception cref="DuckDbException">the row is missing columns; DuckDB's message.</exception>
    public void EndRow()
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        Check(DuckDbApi.Instance.AppenderEndRow(_handle.DangerousGetHandle()), "end a row of");
    }

    /// <summary>Writes the buffered rows to the table.</summary>
    /// <exception cref="DuckDbException">a constraint failed; DuckDB's message.</exception>
    public void Flush()
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        Check(DuckDbApi.Instance.AppenderFlush(_handle.DangerousGetHandle()), "flush rows to");
    }

    /// <summary>Flushes and closes; errors surface here rather than being lost in <see cref="Dispose"/>.</summary>
    /// <exception cref="DuckDbException">the final flush failed; DuckDB's message.</exception>
    public void Close()
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        try
        {
            Check(DuckDbApi.Instance.AppenderClose(_handle.DangerousGetHandle()), "close the appender of");
        }
        finally
        {
            _handle.Dispose();
        }
    }

    /// <summary>Flushes what is left (errors ignored: call <see cref="Close"/> to see them) and frees the appender.</summary>
    public void Dispose() => _handle.Dispose();

    internal static DuckDbAppender Create(DuckDbConnectionHandle connection, string? schema, string table)
    {
        var api = DuckDbApi.Instance;
        nint appender = 0;
        int state;
        fixed (byte* s = schema is null ? null : Utf8Z.Encode(schema), t = Utf8Z.Encode(table))
        {
            state = api.AppenderCreate(connection.DangerousGetHandle(), s, t, &appender);
        }

        var handle = new DuckDbAppenderHandle(appender);
        if (state != 0)
        {
            var message = ErrorMessage(handle) ?? $"DuckDB could not create an appender for table {table}.";
            handle.Dispose();
            throw new DuckDbException(message);
        }

        return new DuckDbAppender(handle, table);
    }

    private void Check(int state, string action)
    {
        if (state != 0)
        {
            throw new DuckDbException($"could not {action} table {Table}: {ErrorMessage(_handle) ?? "no message from DuckDB"}");
        }
    }

    private static string? ErrorMessage(DuckDbAppenderHandle handle)
    {
        if (handle.IsInvalid)
        {
            return null;
        }

        var api = DuckDbApi.Instance;
        var error = api.AppenderErrorData(handle.DangerousGetHandle());
        if (error == 0)
        {
            return null;
        }

        try
        {
            return Utf8Z.Decode(api.ErrorDataMessage(error));
        }
        finally
        {
            api.DestroyErrorData(&error);
        }
    }
}
