using Flame.Native.Interop;

namespace Flame.Native.DuckDb;

/// <summary>
/// A query result read chunk by chunk (up to 2048 rows each), so memory stays bounded however
/// large the result is. Read chunks with <see cref="ReadChunk"/> or <see cref="Chunks"/>; a
/// chunk's data is valid until the chunk is disposed.
/// </summary>
public sealed unsafe class DuckDbReader : IDisposable
{
    private readonly DuckDbResultHandle _result;
    private readonly IDisposable? _owned;
    private bool _finished;

    internal DuckDbReader(DuckDbResultHandle result, IDisposable? owned)
    {
        _result = result;
        _owned = owned;
        Columns = ReadColumns(result);
    }

    /// <summary>The result's columns.</summary>
    public IReadOnlyList<DuckDbColumn> Columns { get; }

    /// <summary>The index of the column named <paramref name="name"/> (case-insensitive, like SQL).</summary>
    /// <exception cref="ArgumentException">no such column; the message lists the columns there are.</exception>
    public int ColumnIndex(string name)
    {
        for (var i = 0; i < Columns.Count; i++)
        {
            if (string.Equals(Columns[i].Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }
        }

        throw new ArgumentException($"the result has no column '{name}'; its columns are {string.Join(", ", Columns.Select(c => c.Name))}.", nameof(name));
    }

    /// <summary>The next chunk, or null when the result is exhausted. Dispose each chunk when done with it.</summary>
    /// <exception cref="DuckDbException">the query failed while producing rows (e.g. a corrupt Parquet file); DuckDB's message.</exception>
    public DuckDbChunk? ReadChunk()
    {
        ObjectDisposedException.ThrowIf(_result.IsClosed, this);
        if (_finished)
        {
            return null;
        }

        var api = DuckDbApi.Instance;
        var chunk = api.FetchChunk(*_result.Pointer);
        if (chunk == 0)
        {
            _finished = true;
            var error = api.ResultError(_result.Pointer);
            return error == 0 ? null : throw new DuckDbException(Utf8Z.Decode(error));
        }

        var owned = new DuckDbChunk(new DuckDbChunkHandle(chunk), Columns);
        if (owned.RowCount == 0)
        {
            // DuckDB signals the end with an empty chunk as well as with NULL.
            owned.Dispose();
            _finished = true;
            return null;
        }

        return owned;
    }

    /// <summary>Every remaining chunk; each is disposed when the enumeration moves past it.</summary>
    public IEnumerable<DuckDbChunk> Chunks()
    {
        while (ReadChunk() is { } chunk)
        {
            using (chunk)
            {
                yield return chunk;
            }
        }
    }

    public void Dispose()
    {
        _result.Dispose();
        _owned?.Dispose();
    }

    /// <summary>Wraps a result DuckDB has filled, throwing DuckDB's error when the call failed; <paramref name="owned"/> (a one-off statement) is disposed with the reader.</summary>
    internal static DuckDbReader FromResult(DuckDbResultHandle result, int state, IDisposable? owned)
    {
        if (state != 0)
        {
            var message = Utf8Z.Decode(DuckDbApi.Instance.ResultError(result.Pointer), "DuckDB reported an error without a message.");
            result.Dispose();
            owned?.Dispose();
            throw new DuckDbException(message);
        }

        return new DuckDbReader(result, owned);
    }

    private static DuckDbColumn[] ReadColumns(DuckDbResultHandle result)
    {
        var api = DuckDbApi.Instance;
        var count = (int)api.ColumnCount(result.Pointer);
        var columns = new DuckDbColumn[count];
        for (var i = 0; i < count; i++)
        {
            var name = Utf8Z.Decode(api.ColumnName(result.Pointer, (ulong)i));
            using var type = new DuckDbLogicalTypeHandle(api.ColumnLogicalType(result.Pointer, (ulong)i));
            columns[i] = new DuckDbColumn(name, (DuckDbType)api.GetTypeId(type.DangerousGetHandle()), ElementType(type));
        }

        return columns;
    }

    internal static DuckDbType? ElementType(DuckDbLogicalTypeHandle type)
    {
        var api = DuckDbApi.Instance;
        if ((DuckDbType)api.GetTypeId(type.DangerousGetHandle()) != DuckDbType.List)
        {
            return null;
        }

        using var child = new DuckDbLogicalTypeHandle(api.ListTypeChildType(type.DangerousGetHandle()));
        return (DuckDbType)api.GetTypeId(child.DangerousGetHandle());
    }
}
