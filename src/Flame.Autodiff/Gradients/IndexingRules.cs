using Flame.Onnx.Models;
using Flame.Autodiff.Graph;
using Flame.Autodiff.Shapes;

namespace Flame.Autodiff.Gradients;

/// <summary>
/// Gathers scatter their gradient back (adding where an element was read more than once);
/// scatters gather it; TopK sends the gradient of each selected value to where it came from.
/// Every adding scatter is ScatterElements: ONNX Runtime's CPU ScatterND with reduction=add
/// updates rows from several threads without synchronisation, so rows read more than once
/// (an embedding's repeated tokens) lose updates, nondeterministically (measured: errors up to
/// 1.8 with 2 threads; ScatterElements is exact and deterministic).
/// </summary>
internal static class IndexingRules
{
    public static void Register(Dictionary<string, Action<GradientContext>> rules)
    {
        rules["Gather"] = Gather;
        rules["GatherND"] = GatherND;
        rules["GatherElements"] = c => c.SetGradient(0, ScatterAdd(c, "ScatterElements", c.Input(0), c.Input(1), c.Gradient, c.Node.Int("axis", 0)));
        rules["ScatterND"] = c => Scatter(c, "GatherND");
        rules["ScatterElements"] = c => Scatter(c, "GatherElements");
        rules["TopK"] = TopK;
    }

    private static string ScatterAdd(GradientContext c, string op, string like, string indices, string updates, long? axis = null)
    {
        var attributes = new List<Flame.Onnx.Proto.AttributeProto> { OnnxAttributes.String("reduction", "add") };
        if (axis is { } a)
        {
            attributes.Add(OnnxAttributes.Int("axis", a));
        }

        return c.Emit.Node(op, [c.Emit.ZerosLike(like), indices, updates], [.. attributes]);
    }

    /// <summary>
    /// Zeros like <paramref name="like"/> (rank r) plus, added into row rows[j] for every index j,
    /// updates[j] (updates: rows' shape followed by like's trailing r − 1 dimensions).
    /// </summary>
    internal static string ScatterAddRows(GradientContext c, string like, int rank, string rows, string updates)
    {
        var e = c.Emit;
        var trailing = e.Node("Slice", [e.Shape(like), e.Ints(1), e.Ints(long.MaxValue)]);
        var flatUpdates = e.Reshape(updates, e.Concat(0, e.Ints(-1), trailing));                        // (N, rest)
        var flatRows = e.Reshape(rows, e.Ints([-1, .. Enumerable.Repeat(1L, rank - 1)]));                // (N, 1, ..., 1)
        return ScatterAdd(c, "ScatterElements", like, e.Expand(flatRows, e.Shape(flatUpdates)), flatUpdates, 0);
    }

    // Gather along axis a: move a to the front, scatter rows, move it back.
    private static void Gather(GradientContext c)
    {
        var e = c.Emit;
        var axis = c.Node.Int("axis", 0);
        if (axis == 0)
        {
            c.SetGradient(0, ScatterAddRows(c, c.Input(0), c.RankOfInput(0), c.Input(1), c.Gradient));
            return;
        }

        var dataRank = c.RankOfInput(0);
        var indexRank = c.RankOfInput(1);
        var a = ShapeInference.Normalize(axis, dataRank);
        // Output dims: data[:a], indices, data[a+1:]  →  indices, data[:a], data[a+1:].
        var gradientPerm = Enumerable.Range(a, indexRank).Concat(Enumerable.Range(0, a)).Concat(Enumerable.Range(a + indexRank, dataRank - a - 1)).Select(i => (long)i).ToArray();
        var dataPerm = new[] { a }.Concat(Enumerable.Range(0, a)).Concat(Enumerable.Range(a + 1, dataRank - a - 1)).Select(i => (long)i).ToArray();
        var inverse = new long[dataRank];
        for (var i = 0; i < dataRank; i++)
        {
            inverse[dataPerm[i]] = i;
        }

        var movedData = e.Transpose(c.Input(0), dataPerm);
        var scattered = ScatterAddRows(c, movedData, dataRank, c.Input(1), e.Transpose(c.Gradient, gradientPerm));
        c.SetGradient(0, e.Transpose(scattered, inverse));
    }

    private static void GatherND(GradientContext c)
    {
        if (c.Node.Int("batch_dims", 0) != 0)
        {
            throw c.Error("GatherND with batch_dims has no gradient rule");
        }

        // Indices [..., 1] name rows: the Gather path. Deeper indices keep ScatterND (not used by our models).
        var indices = c.InputInfo(1);
        c.SetGradient(0, indices.HasRank && indices.Shape is { } shape && TensorInfo.IsOne(shape[^1])
            ? ScatterAddRows(c, c.Input(0), c.RankOfInput(0), c.Input(1), c.Gradient)
            : ScatterAdd(c, "ScatterND", c.Input(0), c.Input(1), c.Gradient));
    }

    // data: the gradient where nothing was written (all of it for reduction=add); updates: gathered.
    private static void Scatter(GradientContext c, string gather)
    {
        var e = c.Emit;
        var reduction = c.Node.String("reduction", "none");
        if (reduction is not ("none" or "add"))
        {
            throw c.Error($"scatter reduction '{reduction}' has no gradient rule");
        }

        var axis = gather == "GatherElements" ? new[] { OnnxAttributes.Int("axis", c.Node.Int("axis", 0)) } : [];
        if (c.Needs(0))
        {
            c.SetGradient(0, reduction == "add" ? c.Gradient : e.Node(c.Node.OpType, [c.Gradient, c.Input(1), e.ZerosLike(c.Input(2))], axis));
        }

        if (c.Needs(2))
        {
            c.SetGradient(2, e.Node(gather, [c.Gradient, c.Input(1)], axis));
        }
    }

    private static void TopK(GradientContext c)
    {
        if (c.OutputGradient(0) is { } values)
        {
            c.SetGradient(0, ScatterAdd(c, "ScatterElements", c.Input(0), c.Output(1), values, c.Node.Int("axis", -1)));
        }
    }
}
