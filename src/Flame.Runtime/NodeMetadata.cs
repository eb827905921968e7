using System.Runtime.InteropServices;
using Flame.Runtime.Interop;

namespace Flame.Runtime;

/// <summary>
/// A graph input or output as the session sees it: name, element type and shape, where a
/// dimension is -1 when it is symbolic (its name is in <see cref="SymbolicDimensions"/>).
/// </summary>
public sealed record NodeMetadata(string Name, bool IsTensor, TensorElementType ElementType, long[] Shape, string[] SymbolicDimensions)
{
    internal static unsafe NodeMetadata Read(string name, nint typeInfo)
    {
        try
        {
            const int onnxTensor = 1; // ONNXType: ONNX_TYPE_TENSOR
            if (OrtApi.OnnxType(typeInfo) != onnxTensor)
            {
                return new NodeMetadata(name, false, TensorElementType.Undefined, [], []);
            }

            var info = OrtApi.CastToTensorInfo(typeInfo); // owned by typeInfo
            var shape = OrtValue.ShapeOf(info);
            var symbols = new nint[shape.Length];
            fixed (nint* s = symbols)
            {
                OrtApi.SymbolicDimensions(info, s, (nuint)symbols.Length);
            }

            return new NodeMetadata(name, true, (TensorElementType)OrtApi.ElementType(info), shape,
                symbols.Select(p => p == 0 ? "" : Marshal.PtrToStringUTF8(p) ?? "").ToArray());
        }
        finally
        {
            OrtApi.Release(OrtApi.ReleaseSlot.TypeInfo, typeInfo);
        }
    }

    public override string ToString() =>
        $"{Name}: {ElementType}[{string.Join(", ", Shape.Select((d, i) => d >= 0 ? d.ToString() : SymbolicDimensions[i] is { Length: > 0 } s ? s : "?"))}]";
}
