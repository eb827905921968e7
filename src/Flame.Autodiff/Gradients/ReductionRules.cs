using Flame.Onnx.Models;
using Flame.Autodiff.Graph;
using Flame.Autodiff.Shapes;

namespace Flame.Autodiff.Gradients;

/// <summary>Reductions, softmax and log-softmax, and cumulative sums.</summary>
internal static class ReductionRules
{
    public static void Register(Dictionary<string, Action<GradientContext>> rules)
    {
        rules["ReduceSum"] = c => c.SetGradient(0, Spread(c, c.Gradient));
        rules["ReduceMean"] = ReduceMean;
        rules["ReduceMax"] = ReduceExtreme;
        rules["ReduceMin"] = ReduceExtreme;
        rules["ReduceLogSumExp"] = ReduceLogSumExp;
        rules["ReduceSumSquare"] = c => c.SetGradient(0, c.Emit.Mul(Spread(c, c.Gradient), c.Emit.Mul(c.Input(0), c.Emit.Scalar(2, c.InputInfo(0).Type))));
        rules["Softmax"] = Softmax;
        rules["LogSoftmax"] = LogSoftmax;
        rules["CumSum"] = CumSum;
    }

    /// <summary>The reduced axes put back (as size 1) so that <paramref name="reduced"/> broadcasts against the input.</summary>
    private static string Kept(GradientContext c, string reduced)
    {
        if (c.Node.Int("keepdims", 1) == 1)
        {
            return reduced;
        }

        var axes = ShapeInference.ReductionAxes(c.Node, i => i < c.Node.Input.Count && c.Input(i).Length > 0 ? c.InputInfo(i) : null);
        if (axes is null || axes.Length == 0)
        {
            return reduced;   // a scalar broadcasts as it is
        }

        // Unsqueeze counts negative axes from the end of its output, whose rank is the input's.
        return c.Emit.Unsqueeze(reduced, axes);
    }

    /// <summary>The gradient of a reduction's output, repeated over the input's shape.</summary>
    private static string Spread(GradientContext c, string gradient) => c.Emit.Expand(Kept(c, gradient), c.Emit.Shape(c.Input(0)));

    private static void ReduceMean(GradientContext c)
    {
        var type = c.InputInfo(0).Type;
        var count = c.Emit.Div(c.Emit.Cast(c.Emit.Node("Size", [c.Input(0)]), type), c.Emit.Cast(c.Emit.Node("Size", [c.Output(0)]), type));
        c.SetGradient(0, c.Emit.Div(Spread(c, c.Gradient), count));
    }

    // The gradient goes to every element equal to the extreme (ties share it in full, like PyTorch's amax).
    private static void ReduceExtreme(GradientContext c)
    {
        var chosen = c.Emit.Cast(c.Emit.Node("Equal", [c.Input(0), Kept(c, c.Output(0))]), c.InputInfo(0).Type);
        c.SetGradient(0, c.Emit.Mul(Spread(c, c.Gradient), chosen));
    }

    // y = log Σ exp x: dx = g · exp(x − y) = g · softmax(x).
    private static void ReduceLogSumExp(GradientContext c)
    {
        var probabilities = c.Emit.Exp(c.Emit.Sub(c.Input(0), Kept(c, c.Output(0))));
        c.SetGradient(0, c.Emit.Mul(Spread(c, c.Gradient), probabilities));
    }

    // y = softmax(x): dx = y (g − Σ g y).
    private static void Softmax(GradientContext c)
    {
        var axis = c.Node.Int("axis", -1);
        var inner = c.Emit.ReduceSum(c.Emit.Mul(c.Gradient, c.Output(0)), [axis], keepDims: true);
        c.SetGradient(0, c.Emit.Mul(c.Output(0), c.Emit.Sub(c.Gradient, inner)));
    }

    // y = log softmax(x): dx = g − exp(y) Σ g.
    private static void LogSoftmax(GradientContext c)
    {
        var axis = c.Node.Int("axis", -1);
        if (ScatteredIntoZeros(c, axis) is { } picked)
        {
            // Cross-entropy: g only scatters the picked entries' gradients u into zeros (the
            // gradient of a GatherElements of the targets), so Σ g = Σ u and dx is one scatter-add
            // of u into −exp(y) Σ u. Neither the zeros nor the dense g is made: two tensors of the
            // logits' size fewer (the unused scatter is pruned).
            var total = c.Emit.ReduceSum(picked.Updates, [axis], keepDims: true);
            var dense = c.Emit.Mul(c.Emit.Exp(c.Output(0)), c.Emit.Neg(total));
            c.SetGradient(0, c.Emit.Node("ScatterElements", [dense, picked.Indices, picked.Updates],
                OnnxAttributes.Int("axis", axis), OnnxAttributes.String("reduction", "add")));
            return;
        }

        var sum = c.Emit.ReduceSum(c.Gradient, [axis], keepDims: true);
        c.SetGradient(0, c.Emit.Sub(c.Gradient, c.Emit.Mul(c.Emit.Exp(c.Output(0)), sum)));
    }

    /// <summary>The indices and updates when the output gradient is ScatterElements(zeros, indices, updates, add) along <paramref name="axis"/>.</summary>
    private static (string Indices, string Updates)? ScatteredIntoZeros(GradientContext c, long axis)
    {
        var scatter = c.Emit.Nodes.LastOrDefault(n => n.Output.Contains(c.Gradient));
        if (scatter is not { OpType: "ScatterElements" } || scatter.String("reduction", "none") != "add")
        {
            return null;
        }

        var rank = c.OutputInfo(0).HasRank ? c.OutputInfo(0).Rank : -1;
        if (rank < 0 || ShapeInference.Normalize(scatter.Int("axis", 0), rank) != ShapeInference.Normalize(axis, rank))
        {
            return null;
        }

        var zeros = c.Emit.Nodes.LastOrDefault(n => n.Output.Contains(scatter.Input[0]));
        return zeros is { OpType: "ConstantOfShape" } && FillsWithZero(zeros) ? (scatter.Input[1], scatter.Input[2]) : null;
    }

    // ConstantOfShape fills with its "value" (0 when absent).
    private static bool FillsWithZero(Flame.Onnx.Proto.NodeProto constantOfShape) =>
        constantOfShape.Attribute.FirstOrDefault(a => a.Name == "value") is not { } value
        || (value.T.RawData.All(b => b == 0) && value.T.FloatData.All(f => f == 0) && value.T.DoubleData.All(d => d == 0));

    // The gradient of a running sum is the running sum from the other end.
    private static void CumSum(GradientContext c) =>
        c.SetGradient(0, c.Emit.Node("CumSum", [c.Gradient, c.Input(1)],
            OnnxAttributes.Int("exclusive", c.Node.Int("exclusive", 0)), OnnxAttributes.Int("reverse", 1 - c.Node.Int("reverse", 0))));
}
