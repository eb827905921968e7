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
        var total = c.Emit.ReduceSum(c.Gradient, [axis], keepDims: true);
        c.SetGradient(0, c.Emit.Sub(c.Gradient, c.Emit.Mul(c.Emit.Exp(c.Output(0)), total)));
    }

    // The gradient of a running sum is the running sum from the other end.
    private static void CumSum(GradientContext c) =>
        c.SetGradient(0, c.Emit.Node("CumSum", [c.Gradient, c.Input(1)],
            OnnxAttributes.Int("exclusive", c.Node.Int("exclusive", 0)), OnnxAttributes.Int("reverse", 1 - c.Node.Int("reverse", 0))));
}
