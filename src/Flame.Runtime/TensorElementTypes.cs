using Microsoft.ML.OnnxRuntime.Tensors;

namespace Flame.Runtime;

/// <summary>The element type of each managed type a tensor can hold (ONNX's mapping: ORT's TensorElementType shares ONNX's values).</summary>
public static class TensorElementTypes
{
    public static TensorElementType Of<T>() where T : unmanaged => (TensorElementType)Flame.Onnx.Tensors.OnnxTensors.DataTypeOf<T>();

    /// <summary>Bytes per element; 0 for strings and undefined.</summary>
    public static int SizeOf(TensorElementType type) => Flame.Onnx.Tensors.OnnxTensors.ElementSize((Flame.Onnx.Proto.TensorProto.Types.DataType)type);
}
