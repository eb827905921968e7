using DataType = Flame.Onnx.Proto.TensorProto.Types.DataType;

namespace Flame.ModelGraphs.Builder;

/// <summary>A named tensor in a graph being built, with its element type and (inferred) shape.</summary>
public sealed record Value(string Name, DataType Type, Dim[] Shape)
{
    public int Rank => Shape.Length;

    /// <summary>The size of dimension <paramref name="axis"/> (negative counts from the end).</summary>
    public Dim this[int axis] => Shape[axis < 0 ? Rank + axis : axis];

    public override string ToString() => $"{Name}: {Type}[{string.Join(", ", Shape)}]";
}
