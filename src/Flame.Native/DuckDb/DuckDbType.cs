namespace Flame.Native.DuckDb;

/// <summary>DuckDB's type ids (duckdb_type in duckdb.h); the ones our readers handle are named, the rest keep their numbers.</summary>
public enum DuckDbType
{
    Invalid = 0,
    Boolean = 1,
    TinyInt = 2,
    SmallInt = 3,
    Integer = 4,
    BigInt = 5,
    UTinyInt = 6,
    USmallInt = 7,
    UInteger = 8,
    UBigInt = 9,
    Float = 10,
    Double = 11,
    Timestamp = 12,
    Date = 13,
    Time = 14,
    Interval = 15,
    HugeInt = 16,
    Varchar = 17,
    Blob = 18,
    Decimal = 19,
    Enum = 23,
    List = 24,
    Struct = 25,
    Map = 26,
    Array = 33,
    SqlNull = 36,
}

/// <summary>The CLR type that holds each fixed-width DuckDB type in a vector's data.</summary>
internal static class DuckDbTypeMap
{
    /// <summary>The DuckDB type whose vector data is an array of <typeparamref name="T"/>.</summary>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is not one of bool, sbyte..long, byte..ulong, float, double.</exception>
    public static DuckDbType Of<T>()
        where T : unmanaged
    {
        return typeof(T) switch
        {
            var t when t == typeof(bool) => DuckDbType.Boolean,
            var t when t == typeof(sbyte) => DuckDbType.TinyInt,
            var t when t == typeof(short) => DuckDbType.SmallInt,
            var t when t == typeof(int) => DuckDbType.Integer,
            var t when t == typeof(long) => DuckDbType.BigInt,
            var t when t == typeof(byte) => DuckDbType.UTinyInt,
            var t when t == typeof(ushort) => DuckDbType.USmallInt,
            var t when t == typeof(uint) => DuckDbType.UInteger,
            var t when t == typeof(ulong) => DuckDbType.UBigInt,
            var t when t == typeof(float) => DuckDbType.Float,
            var t when t == typeof(double) => DuckDbType.Double,
            _ => throw new NotSupportedException($"{typeof(T).Name} is not a DuckDB fixed-width type; use bool, sbyte..long, byte..ulong, float or double."),
        };
    }
}
