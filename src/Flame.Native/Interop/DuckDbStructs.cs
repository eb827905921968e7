using System.Runtime.InteropServices;

namespace Flame.Native.Interop;

/// <summary>
/// duckdb_result: a 48-byte struct that DuckDB fills in. Functions take it by pointer or by
/// value, so it lives in native memory owned by <see cref="DuckDbResultHandle"/>; we never read
/// its deprecated fields.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal struct DuckDbResultStruct
{
    public ulong DeprecatedColumnCount;
    public ulong DeprecatedRowCount;
    public ulong DeprecatedRowsChanged;
    public nint DeprecatedColumns;
    public nint DeprecatedErrorMessage;
    public nint InternalData;
}

/// <summary>
/// duckdb_string_t (16 bytes): length, then up to 12 bytes inline, or a 4-byte prefix and a
/// pointer to the bytes when longer than 12.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 16)]
internal unsafe struct DuckDbStringStruct
{
    public const int InlineLength = 12;

    [FieldOffset(0)] public uint Length;
    [FieldOffset(4)] public fixed byte Inlined[InlineLength];
    [FieldOffset(8)] public byte* Pointer;
}

/// <summary>duckdb_list_entry: where one row's list lies in the child vector.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct DuckDbListEntry
{
    public ulong Offset;
    public ulong Length;
}
