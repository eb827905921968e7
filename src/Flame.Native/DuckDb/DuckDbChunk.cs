using Flame.Native.Interop;

namespace Flame.Native.DuckDb;

/// <summary>
/// One data chunk of a result: up to 2048 rows, one vector per column. The spans its vectors
/// hand out point into DuckDB's memory and are valid until the chunk is disposed.
/// </summary>
public sealed unsafe class DuckDbChunk : IDisposable
{
    private readonly DuckDbChunkHandle _handle;
    private readonly IReadOnlyList<DuckDbColumn> _columns;

    internal DuckDbChunk(DuckDbChunkHandle handle, IReadOnlyList<DuckDbColumn> columns)
    {
        _handle = handle;
        _columns = columns;
        RowCount = checked((int)DuckDbApi.Instance.DataChunkGetSize(handle.DangerousGetHandle()));
    }

    /// <summary>Rows in this chunk.</summary>
    public int RowCount { get; }

    /// <summary>Columns in this chunk (the result's columns).</summary>
    public int ColumnCount => _columns.Count;

    /// <summary>The vector of column <paramref name="index"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">no such column.</exception>
    /// <exception cref="ObjectDisposedException">the chunk was disposed.</exception>
    public DuckDbVector Column(int index)
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, _columns.Count);
        var vector = DuckDbApi.Instance.DataChunkGetVector(_handle.DangerousGetHandle(), (ulong)index);
        var column = _columns[index];
        return new DuckDbVector(vector, column.Name, column.Type, column.ElementType, RowCount);
    }

    public void Dispose() => _handle.Dispose();
}
