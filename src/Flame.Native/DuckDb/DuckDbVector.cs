using System.Runtime.CompilerServices;
using System.Text;
using Flame.Native.Interop;

namespace Flame.Native.DuckDb;

/// <summary>
/// One column of a <see cref="DuckDbChunk"/>: typed, zero-copy access to DuckDB's vector.
/// Everything it returns is valid only while the chunk is alive. Rows are 0-based within the chunk.
/// </summary>
public readonly unsafe struct DuckDbVector
{
    private readonly nint _vector;

    internal DuckDbVector(nint vector, string name, DuckDbType type, DuckDbType? elementType, int rowCount)
    {
        _vector = vector;
        Name = name;
        Type = type;
        ElementType = elementType;
        RowCount = rowCount;
    }

    /// <summary>The column name.</summary>
    public string Name { get; }

    /// <summary>The column type.</summary>
    public DuckDbType Type { get; }

    /// <summary>For a LIST column, the element type.</summary>
    public DuckDbType? ElementType { get; }

    /// <summary>Rows in the chunk.</summary>
    public int RowCount { get; }

    /// <summary>Whether the value at <paramref name="row"/> is not NULL.</summary>
    public bool IsValid(int row)
    {
        CheckRow(row);
        return IsValid(DuckDbApi.Instance.VectorGetValidity(_vector), row);
    }

    /// <summary>The column's values as a span of <typeparamref name="T"/> (NULL rows hold unspecified values: check <see cref="IsValid"/>).</summary>
    /// <exception cref="InvalidOperationException">the column's type is not the one <typeparamref name="T"/> holds.</exception>
    public ReadOnlySpan<T> Values<T>()
        where T : unmanaged
    {
        CheckType(Type, DuckDbTypeMap.Of<T>(), "values");
        return new ReadOnlySpan<T>(DuckDbApi.Instance.VectorGetData(_vector), RowCount);
    }

    /// <summary>The string at <paramref name="row"/> (VARCHAR), or null for NULL.</summary>
    /// <exception cref="InvalidOperationException">the column is not VARCHAR.</exception>
    public string? GetString(int row) => IsValid(row) ? Encoding.UTF8.GetString(GetUtf8(row)) : null;

    /// <summary>The UTF-8 bytes of the VARCHAR at <paramref name="row"/> (empty for NULL: check <see cref="IsValid"/>).</summary>
    /// <exception cref="InvalidOperationException">the column is not VARCHAR.</exception>
    public ReadOnlySpan<byte> GetUtf8(int row)
    {
        CheckType(Type, DuckDbType.Varchar, "strings");
        CheckRow(row);
        var text = (DuckDbStringStruct*)DuckDbApi.Instance.VectorGetData(_vector) + row;
        var length = (int)text->Length;
        return length <= DuckDbStringStruct.InlineLength
            ? new ReadOnlySpan<byte>(text->Inlined, length)
            : new ReadOnlySpan<byte>(text->Pointer, length);
    }

    /// <summary>The elements of the LIST at <paramref name="row"/> (empty for a NULL list: check <see cref="IsValid"/>).</summary>
    /// <exception cref="InvalidOperationException">the column is not a LIST of the type <typeparamref name="T"/> holds, or the list has NULL elements.</exception>
    public ReadOnlySpan<T> GetList<T>(int row)
        where T : unmanaged
    {
        CheckType(Type, DuckDbType.List, "lists");
        CheckType(ElementType ?? DuckDbType.Invalid, DuckDbTypeMap.Of<T>(), "list elements");
        CheckRow(row);
        var api = DuckDbApi.Instance;
        if (!IsValid(api.VectorGetValidity(_vector), row))
        {
            return [];
        }

        var entry = ((DuckDbListEntry*)api.VectorGetData(_vector))[row];
        var child = api.ListVectorGetChild(_vector);
        var childValidity = api.VectorGetValidity(child);
        if (childValidity != null)
        {
            for (var i = entry.Offset; i < entry.Offset + entry.Length; i++)
            {
                if (!IsValid(childValidity, (long)i))
                {
                    throw new InvalidOperationException($"the list in column '{Name}' at row {row} has a NULL element at position {i - entry.Offset}.");
                }
            }
        }

        return new ReadOnlySpan<T>((T*)api.VectorGetData(child) + entry.Offset, checked((int)entry.Length));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsValid(ulong* validity, long row) =>
        validity == null || (validity[row >> 6] & (1UL << (int)(row & 63))) != 0;

    private void CheckRow(int row)
    {
        if ((uint)row >= (uint)RowCount)
        {
            throw new ArgumentOutOfRangeException(nameof(row), row, $"the chunk has {RowCount} rows.");
        }
    }

    private void CheckType(DuckDbType actual, DuckDbType wanted, string what)
    {
        if (actual != wanted)
        {
            throw new InvalidOperationException($"column '{Name}' is {Describe()}; reading {what} of type {wanted} needs a matching column (cast it in SQL).");
        }
    }

    private string Describe() => ElementType is { } element ? $"{Type}({element})" : Type.ToString();
}
