using Flame.ModelGraphs.Builder;
using DataType = Flame.Onnx.Proto.TensorProto.Types.DataType;

namespace Flame.Autodiff.Shapes;

/// <summary>
/// What the autodiff knows statically about a value: its element type, its shape (null when
/// even the rank is unknown; a dimension may be a size, a symbol or unknown) and, for small
/// integer tensors that describe shapes, their elements (each a size, a symbol or unknown).
/// </summary>
public sealed record TensorInfo(DataType Type, Dim[]? Shape, Dim[]? Elements = null)
{
    /// <summary>A dimension nothing is known about.</summary>
    public static readonly Dim Unknown = new(-1, null);

    /// <summary>An element of a shape-describing tensor nothing is known about (elements may be negative, unlike sizes).</summary>
    public static readonly Dim UnknownElement = new(long.MinValue, null);

    /// <summary>Whether an element's value is known (it may be negative: −1 in a reshape, a slice from the end).</summary>
    public static bool IsValue(Dim element) => element.Symbol is null && element.Size != long.MinValue;

    /// <summary>Elements used as a shape: non-negative values and symbols are sizes, the rest unknown.</summary>
    public static Dim[] AsShape(Dim[] elements) => elements.Select(e => e.Symbol is not null || e.Size >= 0 ? e : Unknown).ToArray();

    /// <summary>A shape used as elements: unknown sizes become unknown elements.</summary>
    public static Dim[] AsElements(Dim[] shape) => shape.Select(d => d.Symbol is not null || d.Size >= 0 ? d : UnknownElement).ToArray();

    public int Rank => Shape?.Length ?? throw new InvalidOperationException("rank unknown");

    public bool HasRank => Shape is not null;

    public bool IsFloatingPoint => Type is DataType.Float or DataType.Double or DataType.Float16 or DataType.Bfloat16;

    public static TensorInfo Unranked(DataType type) => new(type, null);

    public static TensorInfo Ranked(DataType type, int rank) => new(type, Enumerable.Repeat(Unknown, rank).ToArray());

    /// <summary>Two dimensions are the same at run time for certain: equal sizes or the same symbol.</summary>
    public static bool SameDim(Dim a, Dim b) => a.IsKnown && b.IsKnown ? a.Size == b.Size : a.Symbol is not null && a.Symbol == b.Symbol;

    public static bool IsOne(Dim d) => d.IsKnown && d.Size == 1;
}
