using Flame.ModelGraphs.Builder;
using Flame.Onnx.Proto;
using DataType = Flame.Onnx.Proto.TensorProto.Types.DataType;

namespace Flame.Training.Optimization;

/// <summary>
/// The optimizer step as an ONNX graph (what ORT Training's optimizer_model.onnx is), for
/// every parameter p with gradient g and moments m, v, at optimizer step t (1-based):
/// <code>
/// norm  = sqrt(Σ_p Σ g²) / s                               (reported as grad_norm; Σ in float64)
/// c     = min(1, max_norm / (norm + 1e-6))                 (Megatron's clip coefficient)
/// g'    = (c / s) g
/// m'    = β1 m + (1 − β1) g'
/// v'    = β2 v + (1 − β2) g'²
/// p'    = p (1 − lr λ) − lr (m' / (1 − β1^t)) / (sqrt(v' / (1 − β2^t)) + ε)     (λ = 0 for vectors)
/// </code>
/// The gradients arrive multiplied by the loss scale s (1 unless fp16 loss scaling is on);
/// grads_finite says whether all of them are finite. With <c>skipNonFinite</c> (loss scaling:
/// an overflow is expected now and then) a step whose gradients are not all finite updates
/// nothing: every output equals its input, at the cost of a select per tensor.
/// Inputs: each p, p_grad, p.exp_avg, p.exp_avg_sq, and the scalars learning_rate, step and
/// grad_scale; outputs: p.updated, p.exp_avg.updated, p.exp_avg_sq.updated, grad_norm,
/// clip_coefficient and grads_finite.
/// The sum of squares is accumulated in float64 (each gradient cast, then ReduceSumSquare): ORT's
/// float32 ReduceSum loses up to 6 % of the norm on a 369M-element tensor (flame-moe-1.7b's
/// experts), so clipping would be weaker than asked and the logged norm low. The cast costs a
/// float64 copy of one gradient at a time.
/// </summary>
public static class AdamWGraph
{
    public const string LearningRate = "learning_rate";
    public const string Step = "step";
    public const string GradNorm = "grad_norm";
    public const string ClipCoefficient = "clip_coefficient";
    public const string GradScale = "grad_scale";
    public const string GradsFinite = "grads_finite";

    /// <summary>Σ g² over gradients (float64): an output of <see cref="BuildSumOfSquares"/>, an input of a step whose parameters are spread over several devices.</summary>
    public const string SumOfSquares = "grad_sum_of_squares";

    /// <param name="globalSumOfSquares">
    /// The parameters are one device's share of the model: Σ g² over all of them comes in as the
    /// input grad_sum_of_squares (the sum of every share's <see cref="BuildSumOfSquares"/>), so
    /// clipping uses the global norm, as Megatron's distributed optimizer does.
    /// </param>
    public static ModelProto Build(IReadOnlyList<Parameter> parameters, AdamWSettings settings, int opset = GraphBuilder.DefaultOpset, bool skipNonFinite = false, bool globalSumOfSquares = false)
    {
        var g = new GraphBuilder("adamw_step", opset);
        Value Scalar(double value) => g.Constant((float)value);
        var lr = g.Input(LearningRate, DataType.Float);
        var t = g.Input(Step, DataType.Float);
        var scale = g.Input(GradScale, DataType.Float);

        // Global gradient norm over every parameter.
        var gradients = parameters.Select(p => g.Input(p.Gradient, DataType.Float, p.Shape.Select(d => (Dim)d).ToArray())).ToList();
        var sumOfSquares = globalSumOfSquares ? g.Input(SumOfSquares, DataType.Double) : SumOfSquaresOf(g, gradients);
        var scaledNorm = g.Cast(g.Sqrt(sumOfSquares), DataType.Float);
        var finite = g.Equal(g.Sub(scaledNorm, scaledNorm), Scalar(0));                 // x − x is NaN for ±inf and NaN
        g.Output(finite, GradsFinite);
        var norm = g.Div(scaledNorm, scale);
        g.Output(norm, GradNorm);
        var clip = settings.MaxGradNorm > 0
            ? g.Min(Scalar(1), g.Div(Scalar(settings.MaxGradNorm), g.Add(norm, Scalar(1e-6))))
            : Scalar(1);
        g.Output(clip, ClipCoefficient);
        var gradientFactor = g.Div(clip, scale);

        // Bias corrections 1 − β^t and the decoupled decay factor, shared by all parameters.
        var stepSize = g.Div(lr, g.Sub(Scalar(1), g.Pow(Scalar(settings.Beta1), t)));
        var correction2 = g.Sub(Scalar(1), g.Pow(Scalar(settings.Beta2), t));
        var decay = g.Sub(Scalar(1), g.Mul(lr, Scalar(settings.WeightDecay)));

        foreach (var (p, gradient) in parameters.Zip(gradients))
        {
            var shape = p.Shape.Select(d => (Dim)d).ToArray();
            var weight = g.Input(p.Name, DataType.Float, shape);
            var firstMoment = g.Input(p.FirstMoment, DataType.Float, shape);
            var secondMoment = g.Input(p.SecondMoment, DataType.Float, shape);
            var grad = g.Mul(gradient, gradientFactor);
            var m = g.Add(g.Mul(firstMoment, Scalar(settings.Beta1)), g.Mul(grad, Scalar(1 - settings.Beta1)));
            var v = g.Add(g.Mul(secondMoment, Scalar(settings.Beta2)), g.Mul(g.Mul(grad, grad), Scalar(1 - settings.Beta2)));
            var update = g.Mul(g.Div(m, g.Add(g.Sqrt(g.Div(v, correction2)), Scalar(settings.Epsilon))), stepSize);
            var decayed = p.Decays && settings.WeightDecay != 0 ? g.Mul(weight, decay) : weight;
            Value Kept(Value updated, Value old) => skipNonFinite ? g.Where(finite, updated, old) : updated;
            g.Output(Kept(g.Sub(decayed, update), weight), Parameter.Updated(p.Name));
            g.Output(Kept(m, firstMoment), Parameter.Updated(p.FirstMoment));
            g.Output(Kept(v, secondMoment), Parameter.Updated(p.SecondMoment));
        }

        return g.ToModel(WeightsAs.Inputs);
    }

    /// <summary>Σ g² over the gradients of <paramref name="parameters"/> (inputs p_grad; output grad_sum_of_squares, float64).</summary>
    public static ModelProto BuildSumOfSquares(IReadOnlyList<Parameter> parameters, int opset = GraphBuilder.DefaultOpset)
    {
        var g = new GraphBuilder("grad_sum_of_squares", opset);
        g.Output(SumOfSquaresOf(g, [.. parameters.Select(p => g.Input(p.Gradient, DataType.Float, p.Shape.Select(d => (Dim)d).ToArray()))]), SumOfSquares);
        return g.ToModel(WeightsAs.Inputs);
    }

    private static Value SumOfSquaresOf(GraphBuilder g, IReadOnlyList<Value> gradients) =>
        gradients.Select(grad => g.ReduceSumSquare(g.Cast(grad, DataType.Double), [.. Enumerable.Range(0, grad.Rank).Select(a => (long)a)], keepDims: false)).Aggregate(g.Add);
}
