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

/// <summary>The element type of each managed type a tensor can hold (ONNX's mapping: the enums share their values).</summary>
public static class TensorElementTypes
{
    public static TensorElementType Of<T>() where T : unmanaged => (TensorElementType)Flame.Onnx.Tensors.OnnxTensors.DataTypeOf<T>();

    /// <summary>Bytes per element; 0 for strings and undefined.</summary>
    public static int SizeOf(TensorElementType type) => Flame.Onnx.Tensors.OnnxTensors.ElementSize((Flame.Onnx.Proto.TensorProto.Types.DataType)type);
}
