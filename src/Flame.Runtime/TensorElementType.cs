namespace Flame.Runtime;

/// <summary>Tensor element types; the values are ONNX's (TensorProto.DataType) and ORT's (ONNXTensorElementDataType).</summary>
public enum TensorElementType
{
    Undefined = 0,
    Float = 1,
    UInt8 = 2,
    Int8 = 3,
    UInt16 = 4,
    Int16 = 5,
    Int32 = 6,
    Int64 = 7,
    String = 8,
    Bool = 9,
    Float16 = 10,
    Double = 11,
    UInt32 = 12,
    UInt64 = 13,
    Complex64 = 14,
    Complex128 = 15,
    BFloat16 = 16,
}

/// <summary>The element type of each managed type a tensor can hold.</summary>
public static class TensorElementTypes
{
    public static TensorElementType Of<T>() where T : unmanaged => typeof(T) switch
    {
        var t when t == typeof(float) => TensorElementType.Float,
        var t when t == typeof(double) => TensorElementType.Double,
        var t when t == typeof(long) => TensorElementType.Int64,
        var t when t == typeof(int) => TensorElementType.Int32,
        var t when t == typeof(short) => TensorElementType.Int16,
        var t when t == typeof(sbyte) => TensorElementType.Int8,
        var t when t == typeof(byte) => TensorElementType.UInt8,
        var t when t == typeof(ushort) => TensorElementType.UInt16,
        var t when t == typeof(uint) => TensorElementType.UInt32,
        var t when t == typeof(ulong) => TensorElementType.UInt64,
        var t when t == typeof(bool) => TensorElementType.Bool,
        var t when t == typeof(Half) => TensorElementType.Float16,
        _ => throw new NotSupportedException($"{typeof(T).Name} is not a tensor element type; use float, double, Half, bool or an integer type"),
    };

    /// <summary>Bytes per element; 0 for strings and undefined.</summary>
    public static int SizeOf(TensorElementType type) => type switch
    {
        TensorElementType.Float or TensorElementType.Int32 or TensorElementType.UInt32 => 4,
        TensorElementType.Double or TensorElementType.Int64 or TensorElementType.UInt64 or TensorElementType.Complex64 => 8,
        TensorElementType.Int16 or TensorElementType.UInt16 or TensorElementType.Float16 or TensorElementType.BFloat16 => 2,
        TensorElementType.Int8 or TensorElementType.UInt8 or TensorElementType.Bool => 1,
        TensorElementType.Complex128 => 16,
        _ => 0,
    };
}
