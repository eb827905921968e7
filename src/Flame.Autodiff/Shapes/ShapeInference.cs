using Flame.Autodiff.Graph;
using Flame.ModelGraphs.Builder;
using Flame.Onnx.Proto;
using Flame.Onnx.Tensors;
using DataType = Flame.Onnx.Proto.TensorProto.Types.DataType;

namespace Flame.Autodiff.Shapes;

/// <summary>
/// Static types and symbolic shapes for every value of a graph, propagated node by node from
/// the declared inputs, initializers and constants. Small integer tensors that describe shapes
/// (Shape → Slice → Concat → Reshape) carry their elements, so reshapes keep their ranks and
/// sizes. Only what the gradient rules need: an op it does not know gets outputs of unknown
/// rank, and a rule that needs a rank then fails naming the node.
/// </summary>
public static class ShapeInference
{
    private const int MaxTrackedElements = 64;

    public static Dictionary<string, TensorInfo> Infer(GraphProto graph)
    {
        var infos = new Dictionary<string, TensorInfo>();
        foreach (var value in graph.Input.Concat(graph.ValueInfo))
        {
            infos[value.Name] = FromValueInfo(value);
        }

        foreach (var tensor in graph.Initializer)
        {
            infos[tensor.Name] = FromTensor(tensor);
        }

        foreach (var node in graph.Node)
        {
            InferNode(node, infos);
        }

        return infos;
    }

    /// <summary>Adds the infos of one node's outputs (used again for nodes the autodiff emits).</summary>
    public static void InferNode(NodeProto node, Dictionary<string, TensorInfo> infos)
    {
        TensorInfo? In(int i) => i < node.Input.Count && node.Input[i].Length > 0 && infos.TryGetValue(node.Input[i], out var info) ? info : null;
        TensorInfo[] outputs;
        try
        {
            outputs = Outputs(node, In);
        }
        catch (Exception e) when (e is IndexOutOfRangeException or ArgumentException or InvalidOperationException or NullReferenceException)
        {
            outputs = [TensorInfo.Unranked(In(0)?.Type ?? DataType.Float)];
        }

        for (var i = 0; i < node.Output.Count; i++)
        {
            if (node.Output[i].Length > 0)
            {
                infos[node.Output[i]] = i < outputs.Length ? outputs[i] : TensorInfo.Unranked(outputs[0].Type);
            }
        }
    }

    private static TensorInfo[] Outputs(NodeProto node, Func<int, TensorInfo?> input)
    {
        var x = input(0);
        var type = x?.Type ?? DataType.Float;
        switch (node.OpType)
        {
            case "Add" or "Sub" or "Mul" or "Div" or "Pow" or "Min" or "Max" or "Sum" or "Mod":
                return [Elementwise(node, input, type)];
            case "Equal" or "Greater" or "Less" or "GreaterOrEqual" or "LessOrEqual" or "And" or "Or" or "Xor":
                return [Elementwise(node, input, DataType.Bool) with { Elements = null }];
            case "Where":
                return [new TensorInfo(input(1)!.Type, Broadcast(input(0)!.Shape, Broadcast(input(1)!.Shape, input(2)!.Shape)))];
            case "Neg" or "Identity" or "Abs" or "Ceil" or "Floor" or "Round" or "Sign" or "Relu":
                return [x! with { Elements = node.OpType is "Identity" ? x.Elements : Map(x.Elements, node.OpType) }];
            case "Exp" or "Log" or "Sqrt" or "Sigmoid" or "Tanh" or "Erf" or "Reciprocal" or "Softmax" or "LogSoftmax" or "Trilu"
                or "CumSum" or "Softplus" or "Sin" or "Cos":
                return [new TensorInfo(type, x!.Shape)];
            case "Not":
                return [new TensorInfo(DataType.Bool, x!.Shape)];
            case "Cast":
                return [new TensorInfo((DataType)node.Int("to", 1), x!.Shape, x.Elements)];
            case "Constant":
                return [Constant(node)];
            case "ConstantOfShape":
                return [new TensorInfo(node.Find("value")?.T is { } v ? (DataType)v.DataType : DataType.Float, ShapeDescribedBy(x!))];
            case "Shape":
                return [new TensorInfo(DataType.Int64, [x?.Shape?.Length ?? -1], Slice(x?.Shape is { } s0 ? TensorInfo.AsElements(s0) : null, node.Int("start", 0), node.Int("end", long.MaxValue)))];
            case "Size":
                return [new TensorInfo(DataType.Int64, [], x?.Shape is { } s && s.All(d => d.IsKnown) ? [s.Aggregate(1L, (n, d) => n * d.Size)] : [TensorInfo.UnknownElement])];
            case "MatMul":
                return [MatMul(x!.Shape!, input(1)!.Shape!, type)];
            case "Gemm":
                return [new TensorInfo(type, [x!.Shape![node.Int("transA", 0) == 1 ? 1 : 0], input(1)!.Shape![node.Int("transB", 0) == 1 ? 0 : 1]])];
            case "Transpose":
                var perm = node.Ints("perm") ?? Enumerable.Range(0, x!.Rank).Reverse().Select(i => (long)i).ToArray();
                return [new TensorInfo(type, perm.Select(p => x!.Shape![p]).ToArray())];
            case "Reshape":
                return [Reshape(x!, input(1)!, node.Int("allowzero", 0) == 1)];
            case "Squeeze":
                return [Squeeze(x!, Axes(node, input, 1))];
            case "Unsqueeze":
                return [Unsqueeze(x!, Axes(node, input, 1)!)];
            case "Flatten":
                var flattenAxis = Normalize(node.Int("axis", 1), x!.Rank + 1);
                return [new TensorInfo(type, [Product(x.Shape![..(int)flattenAxis]), Product(x.Shape[(int)flattenAxis..])])];
            case "Expand":
                return [new TensorInfo(type, Broadcast(x!.Shape, ShapeDescribedBy(input(1)!)), x.Elements is { Length: 1 } && input(1)!.Elements is { Length: 1 } e && e[0].IsKnown ? Enumerable.Repeat(x.Elements[0], (int)e[0].Size).ToArray() : null)];
            case "Concat":
                return [Concat(node, input, type)];
            case "Split":
                return Split(node, input);
            case "Slice":
                return [SliceInfo(x!, input)];
            case "Gather":
                return [Gather(x!, input(1)!, node.Int("axis", 0))];
            case "GatherElements":
                return [new TensorInfo(type, input(1)!.Shape)];
            case "GatherND":
                var indexShape = input(1)!.Shape!;
                var depth = indexShape[^1];
                return [depth.IsKnown ? new TensorInfo(type, [.. indexShape[..^1], .. x!.Shape![(int)depth.Size..]]) : TensorInfo.Unranked(type)];
            case "Pad":
                return [Pad(x!, input(1)!)];
            case "ScatterND" or "ScatterElements":
                return [new TensorInfo(type, x!.Shape)];
            case "TopK":
                var k = input(1)?.Elements is { Length: 1 } ke && TensorInfo.AsShape(ke)[0] is { IsKnown: true } or { Symbol: not null } ? TensorInfo.AsShape(ke)[0] : Fresh(node);
                var topShape = x!.Shape!.ToArray();
                topShape[Normalize(node.Int("axis", -1), topShape.Length)] = k;
                return [new TensorInfo(type, topShape), new TensorInfo(DataType.Int64, topShape)];
            case "NonZero":
                return [new TensorInfo(DataType.Int64, [x!.Rank, Fresh(node)])];
            case "Range":
                return [new TensorInfo(type, [Fresh(node)])];
            case "Compress":
                return [new TensorInfo(type, node.Find("axis") is null ? [Fresh(node)] : x!.Shape!.Select((d, i) => i == Normalize(node.Int("axis", 0), x.Rank) ? Fresh(node) : d).ToArray())];
            case "ArgMax" or "ArgMin":
                return [new TensorInfo(DataType.Int64, Reduced(x!.Shape!, [node.Int("axis", 0)], node.Int("keepdims", 1) == 1))];
            case "ReduceSum" or "ReduceMean" or "ReduceMax" or "ReduceMin" or "ReduceLogSumExp" or "ReduceSumSquare" or "ReduceProd" or "ReduceL2":
                return [Reduce(node, input, x!)];
            default:
                return [TensorInfo.Unranked(type)];
        }
    }

    /// <summary>
    /// A size only known at run time that is the same wherever this node's output goes (the
    /// count of a NonZero, a data-dependent TopK): a symbol of its own, so values derived from
    /// the output are known to agree with each other.
    /// </summary>
    private static Dim Fresh(NodeProto node) => Dim.Sym($"{node.Output[0]}#size");

    /// <summary>The shape a 1-D shape tensor describes: its elements, or at least its length.</summary>
    private static Dim[]? ShapeDescribedBy(TensorInfo shape) =>
        shape.Elements is { } elements ? TensorInfo.AsShape(elements)
        : shape.Shape is [{ IsKnown: true } length] ? Enumerable.Repeat(TensorInfo.Unknown, (int)length.Size).ToArray()
        : null;

    private static TensorInfo Constant(NodeProto node)
    {
        if (node.Find("value")?.T is { } tensor)
        {
            return FromTensor(tensor);
        }

        if (node.Find("value_int") is { } single)
        {
            return new TensorInfo(DataType.Int64, [], [single.I]);
        }

        if (node.Find("value_ints") is { } many)
        {
            return new TensorInfo(DataType.Int64, [many.Ints.Count], many.Ints.Count <= MaxTrackedElements ? many.Ints.Select(v => (Dim)v).ToArray() : null);
        }

        return node.Find("value_float") is not null ? new TensorInfo(DataType.Float, [])
            : node.Find("value_floats") is { } floats ? new TensorInfo(DataType.Float, [floats.Floats.Count])
            : throw new InvalidOperationException("Constant without a value");
    }

    /// <summary>A reduction's axes (attribute before opset 18 except ReduceSum, input after); null = all axes.</summary>
    public static long[]? ReductionAxes(NodeProto node, Func<int, TensorInfo?> input)
    {
        if (node.Ints("axes") is { } attribute)
        {
            return attribute;
        }

        if (input(1)?.Elements is { } elements)
        {
            return elements.All(TensorInfo.IsValue) ? elements.Select(e => e.Size).ToArray() : throw new InvalidOperationException("reduction axes unknown");
        }

        return null;
    }

    private static TensorInfo Reduce(NodeProto node, Func<int, TensorInfo?> input, TensorInfo x)
    {
        var keep = node.Int("keepdims", 1) == 1;
        var axes = ReductionAxes(node, input);
        if (axes is null || axes.Length == 0)
        {
            if (node.Int("noop_with_empty_axes", 0) == 1 && axes is { Length: 0 })
            {
                return new TensorInfo(x.Type, x.Shape);
            }

            return new TensorInfo(x.Type, keep ? x.Shape!.Select(_ => (Dim)1).ToArray() : []);
        }

        return new TensorInfo(x.Type, Reduced(x.Shape!, axes, keep));
    }

    private static Dim[] Reduced(Dim[] shape, long[] axes, bool keep)
    {
        var normal = axes.Select(a => Normalize(a, shape.Length)).ToHashSet();
        return keep ? shape.Select((d, i) => normal.Contains(i) ? (Dim)1 : d).ToArray() : shape.Where((_, i) => !normal.Contains(i)).ToArray();
    }

    private static TensorInfo Elementwise(NodeProto node, Func<int, TensorInfo?> input, DataType type)
    {
        Dim[]? shape = input(0)!.Shape;
        for (var i = 1; i < node.Input.Count; i++)
        {
            shape = Broadcast(shape, input(i)!.Shape);
        }

        // Shape arithmetic (e.g. experts · capacity) on known elements.
        Dim[]? elements = null;
        if (node.Input.Count == 2 && input(0)!.Elements is { } a && input(1)!.Elements is { } b && (a.Length == b.Length || a.Length == 1 || b.Length == 1))
        {
            var n = Math.Max(a.Length, b.Length);
            elements = new Dim[n];
            for (var i = 0; i < n; i++)
            {
                var (l, r) = (a[a.Length == 1 ? 0 : i], b[b.Length == 1 ? 0 : i]);
                elements[i] = TensorInfo.IsValue(l) && TensorInfo.IsValue(r) ? node.OpType switch
                {
                    "Add" => l.Size + r.Size,
                    "Sub" => l.Size - r.Size,
                    "Mul" => l.Size * r.Size,
                    "Div" when r.Size != 0 => l.Size / r.Size,
                    _ => TensorInfo.UnknownElement,
                } : node.OpType == "Mul" && IsOneDim(l) ? r : node.OpType == "Mul" && IsOneDim(r) ? l : TensorInfo.UnknownElement;
            }
        }

        return new TensorInfo(type, shape, elements);
    }

    private static bool IsOneDim(Dim d) => d.IsKnown && d.Size == 1;

    private static Dim[]? Map(Dim[]? elements, string op) =>
        elements is null ? null : op == "Neg" ? elements.Select(e => TensorInfo.IsValue(e) ? (Dim)(-e.Size) : TensorInfo.UnknownElement).ToArray() : null;

    /// <summary>Numpy broadcasting of two symbolic shapes (null when either rank is unknown).</summary>
    public static Dim[]? Broadcast(Dim[]? a, Dim[]? b)
    {
        if (a is null || b is null)
        {
            return null;
        }

        var rank = Math.Max(a.Length, b.Length);
        var result = new Dim[rank];
        for (var i = 0; i < rank; i++)
        {
            var x = i < rank - a.Length ? (Dim)1 : a[i - (rank - a.Length)];
            var y = i < rank - b.Length ? (Dim)1 : b[i - (rank - b.Length)];
            result[i] = TensorInfo.SameDim(x, y) ? x : TensorInfo.IsOne(x) ? y : TensorInfo.IsOne(y) ? x
                : x.IsKnown ? x : y.IsKnown ? y : x.Symbol is not null ? x : y;
        }

        return result;
    }

    private static TensorInfo MatMul(Dim[] a, Dim[] b, DataType type)
    {
        if (a.Length < 2 || b.Length < 2)
        {
            throw new InvalidOperationException("MatMul of a vector");
        }

        var batch = Broadcast(a[..^2], b[..^2])!;
        return new TensorInfo(type, [.. batch, a[^2], b[^1]]);
    }

    private static TensorInfo Reshape(TensorInfo x, TensorInfo shape, bool allowZero)
    {
        if (shape.Elements is not { } target)
        {
            return shape.Shape is [{ IsKnown: true } n] ? TensorInfo.Ranked(x.Type, (int)n.Size) : TensorInfo.Unranked(x.Type);
        }

        var result = target.Select((d, i) => TensorInfo.IsValue(d) && d.Size == 0 && !allowZero && x.Shape is { } s && i < s.Length ? s[i] : TensorInfo.AsShape([d])[0]).ToArray();
        var inferred = Array.FindIndex(target, d => TensorInfo.IsValue(d) && d.Size == -1);
        if (inferred >= 0 && x.Shape is { } input && input.All(d => d.IsKnown) && result.Where((_, i) => i != inferred).All(d => d.IsKnown))
        {
            var total = input.Aggregate(1L, (n, d) => n * d.Size);
            var rest = result.Where((_, i) => i != inferred).Aggregate(1L, (n, d) => n * d.Size);
            result[inferred] = rest == 0 ? 0 : total / rest;
        }

        return new TensorInfo(x.Type, result, x.Elements is not null && result.Length <= 1 ? x.Elements : null);
    }

    private static long[]? Axes(NodeProto node, Func<int, TensorInfo?> input, int index)
    {
        if (node.Ints("axes") is { } attribute)
        {
            return attribute;
        }

        return input(index)?.Elements is { } e ? (e.All(TensorInfo.IsValue) ? e.Select(d => d.Size).ToArray() : throw new InvalidOperationException("axes unknown")) : null;
    }

    private static TensorInfo Squeeze(TensorInfo x, long[]? axes)
    {
        var shape = x.Shape!;
        var drop = axes?.Select(a => Normalize(a, shape.Length)).ToHashSet() ?? shape.Select((d, i) => (d, i)).Where(p => TensorInfo.IsOne(p.d)).Select(p => p.i).ToHashSet();
        return new TensorInfo(x.Type, shape.Where((_, i) => !drop.Contains(i)).ToArray(), x.Elements);
    }

    private static TensorInfo Unsqueeze(TensorInfo x, long[] axes)
    {
        var rank = x.Rank + axes.Length;
        var inserted = axes.Select(a => Normalize(a, rank)).ToHashSet();
        var result = new Dim[rank];
        var next = 0;
        for (var i = 0; i < rank; i++)
        {
            result[i] = inserted.Contains(i) ? 1 : x.Shape![next++];
        }

        return new TensorInfo(x.Type, result, x.Elements);
    }

    private static TensorInfo Concat(NodeProto node, Func<int, TensorInfo?> input, DataType type)
    {
        var parts = Enumerable.Range(0, node.Input.Count).Select(i => input(i)!).ToList();
        var first = parts[0].Shape!;
        var axis = Normalize(node.Int("axis", 0), first.Length);
        var total = parts.All(p => p.Shape![axis].IsKnown) ? (Dim)parts.Sum(p => p.Shape![axis].Size) : TensorInfo.Unknown;
        var shape = first.ToArray();
        shape[axis] = total;
        var elements = first.Length == 1 && parts.All(p => p.Elements is not null) ? parts.SelectMany(p => p.Elements!).ToArray() : null;
        return new TensorInfo(type, shape, elements);
    }

    private static TensorInfo[] Split(NodeProto node, Func<int, TensorInfo?> input)
    {
        var x = input(0)!;
        var axis = Normalize(node.Int("axis", 0), x.Rank);
        var sizes = input(1)?.Elements is { } given ? TensorInfo.AsShape(given) : node.Ints("split")?.Select(s => (Dim)s).ToArray();
        var count = node.Output.Count;
        return Enumerable.Range(0, count).Select(i =>
        {
            var shape = x.Shape!.ToArray();
            shape[axis] = sizes is not null ? sizes[i] : x.Shape![axis].IsKnown && x.Shape[axis].Size % count == 0 ? x.Shape[axis].Size / count : TensorInfo.Unknown;
            return new TensorInfo(x.Type, shape);
        }).ToArray();
    }

    private static TensorInfo SliceInfo(TensorInfo x, Func<int, TensorInfo?> input)
    {
        var shape = x.Shape!.ToArray();
        var starts = input(1)?.Elements;
        var ends = input(2)?.Elements;
        var axes = input(3)?.Elements ?? (starts is null ? null : Enumerable.Range(0, starts.Length).Select(i => (Dim)i).ToArray());
        var steps = input(4)?.Elements;
        if (axes is null || !axes.All(TensorInfo.IsValue))
        {
            return TensorInfo.Ranked(x.Type, shape.Length);
        }

        Dim[]? elements = null;
        for (var i = 0; i < axes.Length; i++)
        {
            var axis = Normalize(axes[i].Size, shape.Length);
            var dim = shape[axis];
            var step = steps?[i] ?? 1;
            if (starts?[i] is { } s && TensorInfo.IsValue(s) && ends?[i] is { } e && TensorInfo.IsValue(e) && dim.IsKnown && TensorInfo.IsValue(step) && step.Size == 1)
            {
                var (from, to) = (Clamp(s.Size, dim.Size), Clamp(e.Size, dim.Size));
                shape[axis] = Math.Max(0, to - from);
                if (x.Elements is { } all && shape.Length == 1 && all.Length == dim.Size)
                {
                    elements = all[(int)from..(int)Math.Max(from, to)];
                }
            }
            else
            {
                shape[axis] = TensorInfo.Unknown;
            }
        }

        return new TensorInfo(x.Type, shape, elements);
    }

    private static TensorInfo Pad(TensorInfo x, TensorInfo pads)
    {
        var shape = x.Shape!.ToArray();
        var amounts = pads.Elements;
        for (var i = 0; i < shape.Length; i++)
        {
            shape[i] = amounts is not null && TensorInfo.IsValue(amounts[i]) && TensorInfo.IsValue(amounts[i + shape.Length]) && shape[i].IsKnown
                ? shape[i].Size + amounts[i].Size + amounts[i + shape.Length].Size
                : amounts is not null && amounts[i] is { Symbol: null, Size: 0 } && amounts[i + shape.Length] is { Symbol: null, Size: 0 } ? shape[i] : TensorInfo.Unknown;
        }

        return new TensorInfo(x.Type, shape);
    }

    private static long Clamp(long index, long size) => Math.Clamp(index < 0 ? index + size : index, 0, size);

    private static TensorInfo Gather(TensorInfo data, TensorInfo indices, long axis)
    {
        var a = Normalize(axis, data.Rank);
        var shape = data.Shape![..a].Concat(indices.Shape!).Concat(data.Shape![(a + 1)..]).ToArray();
        Dim[]? elements = null;
        if (data.Elements is { } values && indices.Elements is { } picks && picks.All(p => TensorInfo.IsValue(p) && Math.Abs(p.Size) < values.Length))
        {
            elements = picks.Select(p => values[p.Size < 0 ? values.Length + (int)p.Size : (int)p.Size]).ToArray();
        }

        return new TensorInfo(data.Type, shape, elements);
    }

    private static Dim Product(IEnumerable<Dim> dims) =>
        dims.All(d => d.IsKnown) ? dims.Aggregate(1L, (n, d) => n * d.Size) : TensorInfo.Unknown;

    private static Dim[]? Slice(Dim[]? shape, long start, long end) =>
        shape is null ? null : shape[(int)Clamp(start, shape.Length)..(int)Math.Max(Clamp(start, shape.Length), Clamp(end, shape.Length))];

    public static int Normalize(long axis, int rank) => (int)(axis < 0 ? axis + rank : axis);

    private static TensorInfo FromValueInfo(ValueInfoProto value)
    {
        var tensor = value.Type?.TensorType;
        if (tensor is null)
        {
            return TensorInfo.Unranked(DataType.Undefined);
        }

        var shape = tensor.Shape?.Dim.Select(d => d.ValueCase switch
        {
            TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue => (Dim)d.DimValue,
            TensorShapeProto.Types.Dimension.ValueOneofCase.DimParam => Dim.Sym(d.DimParam),
            _ => TensorInfo.Unknown,
        }).ToArray();
        return new TensorInfo((DataType)tensor.ElemType, tensor.Shape is null ? null : shape);
    }

    private static TensorInfo FromTensor(TensorProto tensor)
    {
        var type = (DataType)tensor.DataType;
        var shape = tensor.Dims.Select(d => (Dim)d).ToArray();
        Dim[]? elements = null;
        if (type is DataType.Int64 or DataType.Int32 && OnnxTensors.ElementCount(tensor) <= MaxTrackedElements)
        {
            elements = type == DataType.Int64
                ? OnnxTensors.ToArray<long>(tensor).Select(v => (Dim)v).ToArray()
                : OnnxTensors.ToArray<int>(tensor).Select(v => (Dim)v).ToArray();
        }

        return new TensorInfo(type, shape, elements);
    }
}
