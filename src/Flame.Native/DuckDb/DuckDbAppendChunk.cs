using System.Text;
using Flame.Native.Interop;

namespace Flame.Native.DuckDb;

/// <summary>
/// A writable data chunk shaped like an appender's table, for bulk appends without a native
/// call per value: fill columns through spans, set <see cref="RowCount"/>, then
/// <see cref="DuckDbAppender.AppendChunk"/>. Made by <see cref="DuckDbAppender.CreateChunk"/>.
/// </summary>
/// <remarks>
/// Spans point into DuckDB's vectors and are valid until the chunk is appended (which resets
/// it) or disposed: get them again for the next batch. Fixed-width LIST columns (the routing
/// traces' six scores and indices per token) are filled through <see cref="FixedLists{T}"/>.
/// </remarks>
public sealed unsafe class DuckDbAppendChunk : IDisposable
{
    private readonly DuckDbChunkHandle _handle;
    private readonly DuckDbColumn[] _columns;
    private readonly int[] _listWidths;
    private int _rowCount;

    internal DuckDbAppendChunk(DuckDbChunkHandle handle, DuckDbColumn[] columns)
    {
        _handle = handle;
        _columns = columns;
        _listWidths = new int[columns.Length];
        Capacity = (int)DuckDbApi.Instance.VectorSize();
    }

    /// <summary>The most rows a chunk holds (DuckDB's vector size, 2048).</summary>
    public int Capacity { get; }

    /// <summary>The columns' types, in table order (names are "column0", "column1", ...).</summary>
    public IReadOnlyList<DuckDbColumn> Columns => _columns;

    /// <summary>Rows filled so far; set it before appending.</summary>
    /// <exception cref="ArgumentOutOfRangeException">negative or above <see cref="Capacity"/>.</exception>
    public int RowCount
    {
        get => _rowCount;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, Capacity);
            _rowCount = value;
        }
    }

    /// <summary>The writable values of a fixed-width column, <see cref="Capacity"/> long.</summary>
    /// <exception cref="InvalidOperationException">the column's type is not the one <typeparamref name="T"/> holds.</exception>
    public Span<T> Values<T>(int column)
        where T : unmanaged
    {
        var vector = Vector(column, DuckDbTypeMap.Of<T>(), elementType: null);
        return new Span<T>(DuckDbApi.Instance.VectorGetData(vector), Capacity);
    }

    /// <summary>
    /// The writable elements of a LIST column whose every row has <paramref name="width"/>
    /// elements: row r's list is elements [r * width, (r + 1) * width).
    /// </summary>
    /// <exception cref="InvalidOperationException">the column is not a LIST of the type <typeparamref name="T"/> holds.</exception>
    public Span<T> FixedLists<T>(int column, int width)
        where T : unmanaged
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        var api = DuckDbApi.Instance;
        var vector = Vector(column, DuckDbType.List, DuckDbTypeMap.Of<T>());
        var entries = (DuckDbListEntry*)api.VectorGetData(vector);
        for (var row = 0; row < Capacity; row++)
        {
            entries[row] = new DuckDbListEntry { Offset = (ulong)(row * width), Length = (ulong)width };
        }

        if (api.ListVectorReserve(vector, (ulong)(Capacity * width)) != 0)
        {
            throw new DuckDbException($"DuckDB could not reserve {Capacity * width} list elements for column {column}.");
        }

        _listWidths[column] = width;
        return new Span<T>(api.VectorGetData(api.ListVectorGetChild(vector)), Capacity * width);
    }

    /// <summary>Sets a VARCHAR value (DuckDB copies it).</summary>
    public void SetString(int column, int row, string value)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)row, (uint)Capacity, nameof(row));
        var vector = Vector(column, DuckDbType.Varchar, elementType: null);
        var bytes = Encoding.UTF8.GetBytes(value);
        fixed (byte* p = bytes)
        {
            DuckDbApi.Instance.VectorAssignStringElementLength(vector, (ulong)row, p, (ulong)bytes.Length);
        }
    }

    /// <summary>Marks a value NULL.</summary>
    public void SetNull(int column, int row)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)row, (uint)Capacity, nameof(row));
        var api = DuckDbApi.Instance;
        var vector = Vector(column, _columns[column].Type, _columns[column].ElementType);
        api.VectorEnsureValidityWritable(vector);
        var validity = api.VectorGetValidity(vector);
        validity[row >> 6] &= ~(1UL << (row & 63));
    }

    public void Dispose() => _handle.Dispose();

    /// <summary>Fixes the row count and list sizes before DuckDB reads the chunk.</summary>
    internal nint Seal()
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        var api = DuckDbApi.Instance;
        var chunk = _handle.DangerousGetHandle();
        for (var column = 0; column < _columns.Length; column++)
        {
            if (_listWidths[column] > 0)
            {
                api.ListVectorSetSize(api.DataChunkGetVector(chunk, (ulong)column), (ulong)(_rowCount * _listWidths[column]));
            }
        }

        api.DataChunkSetSize(chunk, (ulong)_rowCount);
        return chunk;
    }

    /// <summary>Empties the chunk for the next batch (DuckDB may move its buffers).</summary>
    internal void Reset()
    {
        DuckDbApi.Instance.DataChunkReset(_handle.DangerousGetHandle());
        Array.Clear(_listWidths);
        _rowCount = 0;
    }

    private nint Vector(int column, DuckDbType type, DuckDbType? elementType)
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)column, (uint)_columns.Length, nameof(column));
        var actual = _columns[column];
        if (actual.Type != type || actual.ElementType != elementType)
        {
            var wanted = elementType is { } e ? $"{type}({e})" : type.ToString();
            var have = actual.ElementType is { } a ? $"{actual.Type}({a})" : actual.Type.ToString();
            throw new InvalidOperationException($"column {column} of the table is {have}, not {wanted}.");
        }

        return DuckDbApi.Instance.DataChunkGetVector(_handle.DangerousGetHandle(), (ulong)column);
    }
}
