using Flame.Onnx.Proto;
using Flame.Onnx.Tensors;

namespace Flame.Training.Optimization;

/// <summary>
/// The optimizer step as an ONNX graph (what ORT Training's optimizer_model.onnx is), for
/// every parameter p with gradient g and moments m, v, at optimizer step t (1-based):
/// <code>
/// norm  = sqrt(Σ_p Σ g²)                                   (reported as grad_norm)
/// c     = min(1, max_norm / (norm + 1e-6))                 (Megatron's clip coefficient)
/// g'    = c g
/// m'    = β1 m + (1 − β1) g'
/// v'    = β2 v + (1 − β2) g'²
/// p'    = p (1 − lr λ) − lr (m' / (1 − β1^t)) / (sqrt(v' / (1 − β2^t)) + ε)     (λ = 0 for vectors)
/// </code>
/// Inputs: each p, p_grad, p.exp_avg, p.exp_avg_sq, and the scalars learning_rate and step;
/// outputs: p.updated, p.exp_avg.updated, p.exp_avg_sq.updated, grad_norm and clip_coefficient.
/// </summary>
public static class AdamWGraph
{
    public const string LearningRate = "learning_rate";
    public const string Step = "step";
    public const string GradNorm = "grad_norm";
    public const string ClipCoefficient = "clip_coefficient";

    public static ModelProto Build(IReadOnlyList<Parameter> parameters, AdamWSettings settings, int opset = 17)
    {
        var g = new OnnxGraphWriter("adamw_step");
        var lr = g.Input(LearningRate, TensorProto.Types.DataType.Float);
        var t = g.Input(Step, TensorProto.Types.DataType.Float);

        // Global gradient norm over every parameter.
        var squares = parameters.Select(p =>
        {
            g.Input(p.Gradient, TensorProto.Types.DataType.Float, p.Shape);
            return g.Op("ReduceSumSquare", [p.Gradient], ("keepdims", 0L));
        }).ToList();
        var norm = g.Op("Sqrt", [squares.Count == 1 ? squares[0] : g.Op("Sum", squares)]);
        g.Output(g.Op("Identity", [norm]), GradNorm);
        var clip = settings.MaxGradNorm > 0
            ? g.Op("Min", [g.Constant(1f), g.Op("Div", [g.Constant((float)settings.MaxGradNorm), g.Op("Add", [norm, g.Constant(1e-6f)])])])
            : g.Constant(1f);
        g.Output(g.Op("Identity", [clip]), ClipCoefficient);

        // Bias corrections 1 − β^t, shared by all parameters.
        var correction1 = g.Op("Sub", [g.Constant(1f), g.Op("Pow", [g.Constant((float)settings.Beta1), t])]);
        var correction2 = g.Op("Sub", [g.Constant(1f), g.Op("Pow", [g.Constant((float)settings.Beta2), t])]);
        var stepSize = g.Op("Div", [lr, correction1]);
        var decay = g.Op("Sub", [g.Constant(1f), g.Op("Mul", [lr, g.Constant((float)settings.WeightDecay)])]);

        foreach (var p in parameters)
        {
            g.Input(p.Name, TensorProto.Types.DataType.Float, p.Shape);
            g.Input(p.FirstMoment, TensorProto.Types.DataType.Float, p.Shape);
            g.Input(p.SecondMoment, TensorProto.Types.DataType.Float, p.Shape);
            var grad = g.Op("Mul", [p.Gradient, clip]);
            var m = g.Op("Add", [g.Op("Mul", [p.FirstMoment, g.Constant((float)settings.Beta1)]), g.Op("Mul", [grad, g.Constant((float)(1 - settings.Beta1))])]);
            var v = g.Op("Add", [g.Op("Mul", [p.SecondMoment, g.Constant((float)settings.Beta2)]), g.Op("Mul", [g.Op("Mul", [grad, grad]), g.Constant((float)(1 - settings.Beta2))])]);
            var denominator = g.Op("Add", [g.Op("Sqrt", [g.Op("Div", [v, correction2])]), g.Constant((float)settings.Epsilon)]);
            var update = g.Op("Mul", [g.Op("Div", [m, denominator]), stepSize]);
            var decayed = p.Decays && settings.WeightDecay != 0 ? g.Op("Mul", [p.Name, decay]) : p.Name;
            g.Output(g.Op("Sub", [decayed, update]), Parameter.Updated(p.Name), p.Shape);
            g.Output(g.Op("Identity", [m]), Parameter.Updated(p.FirstMoment), p.Shape);
            g.Output(g.Op("Identity", [v]), Parameter.Updated(p.SecondMoment), p.Shape);
        }

        return g.ToModel(opset);
    }
}
