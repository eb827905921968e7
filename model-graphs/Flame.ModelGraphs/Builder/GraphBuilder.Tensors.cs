using DataType = Flame.Onnx.Proto.TensorProto.Types.DataType;

namespace Flame.ModelGraphs.Builder;

/// <summary>Reshaping, indexing, reductions and selection.</summary>
public sealed partial class GraphBuilder
{
    /// <summary>Reshape to a shape of known sizes, 0 (copy the input's dimension) and at most one -1.</summary>
    public Value Reshape(Value x, params long[] shape) => Reshape(x, null, shape);

    /// <summary>As <see cref="Reshape(Value, long[])"/>, naming the -1 dimension <paramref name="inferredDim"/> where it is symbolic (e.g. "tokens"), as users see it in the graph's outputs.</summary>
    public Value Reshape(Value x, string? inferredDim, params long[] shape)
    {
        var result = new Dim[shape.Length];
        for (var i = 0; i < shape.Length; i++)
        {
            result[i] = shape[i] == 0 ? x.Shape[i] : shape[i] == -1 ? Dim.Sym(inferredDim ?? $"{x.Name}_reshaped_{i}") : shape[i];
        }

        var known = x.Shape.All(d => d.IsKnown);
        var inferred = Array.IndexOf(shape, -1L);
        if (known && inferred >= 0)
        {
            var total = x.Shape.Aggregate(1L, (n, d) => n * d.Size);
            var rest = result.Where((_, i) => i != inferred).Aggregate(1L, (n, d) => n * d.Size);
            result[inferred] = total / rest;
        }

        return Emit("Reshape", [x, Constant(shape, [shape.Length])], null, x.Type, result);
    }

    public Value Transpose(Value x, params long[] permutation)
    {
        if (permutation.Length != x.Rank)
        {
            throw new ShapeError($"Transpose of {x} needs {x.Rank} axes, got [{string.Join(", ", permutation)}]");
        }

        return Emit("Transpose", [x], null, x.Type, permutation.Select(p => x.Shape[p]).ToArray(), Ints("perm", permutation));
    }

    /// <summary>Rows of <paramref name="data"/> at <paramref name="indices"/> along <paramref name="axis"/>.</summary>
    public Value Gather(Value data, Value indices, int axis = 0)
    {
        var a = axis < 0 ? data.Rank + axis : axis;
        return Emit("Gather", [data, indices], null, data.Type, [.. data.Shape[..a], .. indices.Shape, .. data.Shape[(a + 1)..]], Int("axis", a));
    }

    /// <summary>GatherND with indices [n, 1]: the rows named by the indices.</summary>
    public Value GatherRows(Value data, Value rowIndices) =>
        Emit("GatherND", [data, rowIndices], null, data.Type, [rowIndices[0], .. data.Shape[1..]]);

    /// <summary><paramref name="x"/> broadcast to <paramref name="shape"/> (int64, at run time).</summary>
    public Value Expand(Value x, Value shape, Dim[] resultShape) => Emit("Expand", [x, shape], null, x.Type, resultShape);

    /// <summary>ScatterND: data[i] = updates[k] for each row index i = rowIndices[k] (distinct rows; its gradient is a gather of rows).</summary>
    public Value ScatterRows(Value data, Value rowIndices, Value updates) =>
        Emit("ScatterND", [data, rowIndices, updates], null, data.Type, data.Shape);

    /// <summary>ScatterND with reduction add: data[i] += updates[k] for each row index i = rowIndices[k].</summary>
    public Value ScatterAddRows(Value data, Value rowIndices, Value updates) =>
        Emit("ScatterND", [data, rowIndices, updates], null, data.Type, data.Shape, String("reduction", "add"));

    /// <summary>Constant-bound slice along one axis; <paramref name="end"/> may be long.MaxValue for "to the end".</summary>
    public Value Slice(Value x, int axis, long start, long end)
    {
        var a = axis < 0 ? x.Rank + axis : axis;
        var shape = x.Shape.ToArray();
        shape[a] = x.Shape[a].IsKnown ? Math.Min(end, x.Shape[a].Size) - start : Dim.Sym($"{x.Name}_slice");
        return Emit("Slice", [x, Constant([start], [1]), Constant([end], [1]), Constant([(long)a], [1])], null, x.Type, shape);
    }

    /// <summary>x[0:length] along <paramref name="axis"/>, where length is a run-time scalar-in-a-1-D-tensor (int64 [1]).</summary>
    public Value SliceTo(Value x, int axis, Value length, Dim resultSize)
    {
        var shape = x.Shape.ToArray();
        shape[axis] = resultSize;
        return Emit("Slice", [x, Constant([0L], [1]), length, Constant([(long)axis], [1])], null, x.Type, shape);
    }

    /// <summary>x[start:end] along <paramref name="axis"/>, both bounds run-time int64 [1] tensors.</summary>
    public Value SliceRange(Value x, int axis, Value start, Value end, Dim resultSize)
    {
        var shape = x.Shape.ToArray();
        shape[axis] = resultSize;
        return Emit("Slice", [x, start, end, Constant([(long)axis], [1])], null, x.Type, shape);
    }

    /// <summary>Trilu with a run-time diagonal offset k (int64 scalar).</summary>
    public Value Triangle(Value x, Value k, bool upper) => Emit("Trilu", [x, k], null, x.Type, x.Shape, Int("upper", upper ? 1 : 0));

    public Value Concat(int axis, params Value[] values)
    {
        var a = axis < 0 ? values[0].Rank + axis : axis;
        var shape = values[0].Shape.ToArray();
        shape[a] = values.All(v => v.Shape[a].IsKnown) ? values.Sum(v => v.Shape[a].Size) : Dim.Sym($"concat_{a}");
        return Emit("Concat", values, null, values[0].Type, shape, Int("axis", a));
    }

    /// <summary>The run-time shape of <paramref name="x"/> (int64 [rank]).</summary>
    public Value Shape(Value x) => Emit("Shape", [x], null, DataType.Int64, [x.Rank]);

    /// <summary>The run-time size of one dimension as an int64 [1] tensor.</summary>
    public Value DimOf(Value x, int axis) => Slice(Shape(x), 0, axis < 0 ? x.Rank + axis : axis, (axis < 0 ? x.Rank + axis : axis) + 1);

    /// <summary>Indices of the true elements of a 1-D bool tensor, as [n, 1] rows (NonZero, transposed).</summary>
    public Value TrueRows(Value mask, string countSymbol)
    {
        var nonZero = Emit("NonZero", [mask], null, DataType.Int64, [1, Dim.Sym(countSymbol)]);
        return Transpose(nonZero, 1, 0);
    }

    public Value ReduceMean(Value x, long[] axes, bool keepDims = true) => Reduce("ReduceMean", x, axes, keepDims);

    public Value ReduceSum(Value x, long[] axes, bool keepDims = true)
    {
        // Opset 13 moved ReduceSum's axes from an attribute to an input.
        var shape = Shapes.Reduced(x.Shape, axes, keepDims);
        return Emit("ReduceSum", [x, Constant(axes, [axes.Length])], null, x.Type, shape, Int("keepdims", keepDims ? 1 : 0));
    }

    public Value ReduceMax(Value x, long[] axes, bool keepDims = true) => Reduce("ReduceMax", x, axes, keepDims);

    /// <summary>Σ x² over <paramref name="axes"/>, accumulated in x's type.</summary>
    public Value ReduceSumSquare(Value x, long[] axes, bool keepDims = true) => Reduce("ReduceSumSquare", x, axes, keepDims);

    /// <summary>The k largest values along the last axis and their indices (ties: the lower index first).</summary>
    public (Value Values, Value Indices) TopK(Value x, long k)
    {
        Dim[] shape = [.. x.Shape[..^1], k];
        var values = new Value(Fresh("topk_values"), x.Type, shape);
        var indices = new Value(Fresh("topk_indices"), DataType.Int64, shape);
        var node = new Flame.Onnx.Proto.NodeProto { OpType = "TopK", Name = Fresh("TopK"), Input = { x.Name, Constant([k], [1]).Name }, Output = { values.Name, indices.Name } };
        node.Attribute.Add(Int("axis", -1));
        _graph.Node.Add(node);
        return (values, indices);
    }

    /// <summary><paramref name="x"/> cut along <paramref name="axis"/> into pieces of the given <paramref name="sizes"/> (int64 [n], known at run time).</summary>
    public Value[] Split(Value x, Value sizes, int axis, params Dim[][] shapes)
    {
        var outputs = shapes.Select(shape => new Value(Fresh("split"), x.Type, shape)).ToArray();
        var node = new Flame.Onnx.Proto.NodeProto { OpType = "Split", Name = Fresh("Split"), Input = { x.Name, sizes.Name } };
        node.Output.AddRange(outputs.Select(o => o.Name));
        node.Attribute.Add(Int("axis", axis < 0 ? x.Rank + axis : axis));
        _graph.Node.Add(node);
        return outputs;
    }

    /// <summary>Elements of <paramref name="data"/> picked along <paramref name="axis"/> by same-rank <paramref name="indices"/>.</summary>
    public Value GatherElements(Value data, Value indices, int axis) =>
        Emit("GatherElements", [data, indices], null, data.Type, indices.Shape, Int("axis", axis < 0 ? data.Rank + axis : axis));

    /// <summary>log Σ exp over <paramref name="axes"/>.</summary>
    public Value ReduceLogSumExp(Value x, long[] axes, bool keepDims = true) => Reduce("ReduceLogSumExp", x, axes, keepDims);

    /// <summary>Inserts size-1 axes.</summary>
    public Value Unsqueeze(Value x, params long[] axes)
    {
        var shape = x.Shape.ToList();
        foreach (var axis in axes.Select(a => a < 0 ? x.Rank + axes.Length + a : a).Order())
        {
            shape.Insert((int)axis, 1);
        }

        return Emit("Unsqueeze", [x, Constant(axes, [axes.Length])], null, x.Type, [.. shape]);
    }

    /// <summary>Reshape <paramref name="x"/> to the run-time shape of <paramref name="like"/> (same element count).</summary>
    public Value ReshapeLike(Value x, Value like) => Emit("Reshape", [x, Shape(like)], null, x.Type, like.Shape);

    /// <summary>A tensor filled with <paramref name="value"/> whose shape is the int64 [rank] tensor <paramref name="shape"/>.</summary>
    public Value Filled(Value shape, float value, Dim[] resultShape) => Emit("ConstantOfShape", [shape], null, DataType.Float, resultShape,
        new Flame.Onnx.Proto.AttributeProto { Name = "value", Type = Flame.Onnx.Proto.AttributeProto.Types.AttributeType.Tensor, T = Flame.Onnx.Tensors.OnnxTensors.Create("value", [value], 1) });

    /// <summary>The upper (or lower) triangle of the last two axes, from diagonal <paramref name="k"/> on; the rest zero.</summary>
    public Value Triangle(Value x, long k, bool upper) => Emit("Trilu", [x, Constant(k)], null, x.Type, x.Shape, Int("upper", upper ? 1 : 0));

    /// <summary>A tensor of zeros shaped like <paramref name="x"/> at run time.</summary>
    public Value ZerosLike(Value x) => Emit("ConstantOfShape", [Shape(x)], null, x.Type, x.Shape,
        new Flame.Onnx.Proto.AttributeProto { Name = "value", Type = Flame.Onnx.Proto.AttributeProto.Types.AttributeType.Tensor, T = Flame.Onnx.Tensors.OnnxTensors.Create("zero", [0f], 1) });

    // Opset 18 moved the axes of the other reductions from an attribute to an input too.
    private Value Reduce(string op, Value x, long[] axes, bool keepDims) => Opset >= 18
        ? Emit(op, [x, Constant(axes, [axes.Length])], null, x.Type, Shapes.Reduced(x.Shape, axes, keepDims), Int("keepdims", keepDims ? 1 : 0))
        : Emit(op, [x], null, x.Type, Shapes.Reduced(x.Shape, axes, keepDims), Ints("axes", axes), Int("keepdims", keepDims ? 1 : 0));
}
