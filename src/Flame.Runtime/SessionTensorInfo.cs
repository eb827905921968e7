using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Flame.Runtime;

/// <summary>
/// A graph input or output as the session sees it: name, element type and shape, where a
/// dimension is -1 when it is symbolic (its name is in <see cref="SymbolicDimensions"/>).
/// In graph order, which ORT's metadata dictionaries do not promise.
/// </summary>
public sealed record SessionTensorInfo(string Name, bool IsTensor, TensorElementType ElementType, long[] Shape, string[] SymbolicDimensions)
{
    internal static IReadOnlyList<SessionTensorInfo> Of(IReadOnlyList<string> names, IReadOnlyDictionary<string, NodeMetadata> metadata) =>
        [.. names.Select(name => metadata[name] is { IsTensor: true } m
            ? new SessionTensorInfo(name, true, m.ElementDataType, [.. m.Dimensions.Select(d => (long)d)], m.SymbolicDimensions)
            : new SessionTensorInfo(name, false, (TensorElementType)0, [], []))];

    public override string ToString() =>
        $"{Name}: {ElementType}[{string.Join(", ", Shape.Select((d, i) => d >= 0 ? d.ToString() : SymbolicDimensions[i] is { Length: > 0 } s ? s : "?"))}]";
}
