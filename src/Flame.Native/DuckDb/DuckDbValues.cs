using System.Text;
using Flame.Native.Interop;

namespace Flame.Native.DuckDb;

/// <summary>
/// Turns CLR values into duckdb_value objects: the one path for prepared-statement parameters
/// and appended values, so both accept the same types.
/// </summary>
internal static unsafe class DuckDbValues
{
    /// <summary>A new duckdb_value for null, bool, sbyte..long, byte..ulong, float, double, string, or an array of the numeric types (a LIST).</summary>
    /// <exception cref="NotSupportedException">another type.</exception>
    public static DuckDbValueHandle Create(object? value)
    {
        var api = DuckDbApi.Instance;
        var native = value switch
        {
            null => api.CreateNullValue(),
            bool v => api.CreateBool(v ? (byte)1 : (byte)0),
            sbyte v => api.CreateInt8(v),
            short v => api.CreateInt16(v),
            int v => api.CreateInt32(v),
            long v => api.CreateInt64(v),
            byte v => api.CreateUInt8(v),
            ushort v => api.CreateUInt16(v),
            uint v => api.CreateUInt32(v),
            ulong v => api.CreateUInt64(v),
            float v => api.CreateFloat(v),
            double v => api.CreateDouble(v),
            string v => CreateVarchar(v),
            Array v => CreateList(v),
            _ => throw new NotSupportedException($"DuckDB values of CLR type {value.GetType().Name} are not supported; use bool, integers, float, double, string or arrays of numbers."),
        };
        return native != 0 ? new DuckDbValueHandle(native) : throw new DuckDbException($"DuckDB could not create a value from {value}.");
    }

    private static nint CreateVarchar(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        fixed (byte* p = bytes)
        {
            return DuckDbApi.Instance.CreateVarcharLength(p, (ulong)bytes.Length);
        }
    }

    private static nint CreateList(Array items)
    {
        var api = DuckDbApi.Instance;
        var elementType = ElementTypeOf(items);
        var elements = new DuckDbValueHandle[items.Length];
        var raw = new nint[items.Length];
        try
        {
            for (var i = 0; i < items.Length; i++)
            {
                elements[i] = Create(items.GetValue(i));
                raw[i] = elements[i].DangerousGetHandle();
            }

            using var type = new DuckDbLogicalTypeHandle(api.CreateLogicalType((int)elementType));
            fixed (nint* p = raw)
            {
                // DuckDB copies the elements into the list value.
                return api.CreateListValue(type.DangerousGetHandle(), p, (ulong)raw.Length);
            }
        }
        finally
        {
            foreach (var element in elements)
            {
                element?.Dispose();
            }
        }
    }

    private static DuckDbType ElementTypeOf(Array items) => items switch
    {
        bool[] => DuckDbType.Boolean,
        sbyte[] => DuckDbType.TinyInt,
        short[] => DuckDbType.SmallInt,
        int[] => DuckDbType.Integer,
        long[] => DuckDbType.BigInt,
        byte[] => DuckDbType.UTinyInt,
        ushort[] => DuckDbType.USmallInt,
        uint[] => DuckDbType.UInteger,
        ulong[] => DuckDbType.UBigInt,
        float[] => DuckDbType.Float,
        double[] => DuckDbType.Double,
        string[] => DuckDbType.Varchar,
        _ => throw new NotSupportedException($"lists of {items.GetType().GetElementType()?.Name} are not supported; use arrays of numbers or strings."),
    };
}
