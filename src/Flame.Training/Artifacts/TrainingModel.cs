using Flame.Autodiff;
using Flame.ModelGraphs.Builder;
using Flame.ModelGraphs.Config;
using Flame.ModelGraphs.Model;
using Flame.Onnx.Proto;
using Flame.Onnx.Transforms;
using Flame.Training.Losses;

namespace Flame.Training.Artifacts;

/// <summary>
/// training_model.onnx, as ORT Training calls it: forward + losses + backward, in plain ONNX.
/// Inputs: input_ids, targets, every weight, and for gradient accumulation every
/// <c>{p}.grad.accumulated</c>, the scalar <c>loss_scale</c> (1 / micro-batches) and the boolean
/// <c>lazy_reset_grad</c> (true on a step's first micro-batch: the accumulator is ignored).
/// Outputs: loss, lm_loss, load_balancing_loss, z_loss, expert_load.{layer} and every
/// <c>{p}.grad</c> = (reset ? 0 : accumulated) + loss_scale · d loss / d p.
/// </summary>
public static class TrainingModel
{
    public const string LossScale = "loss_scale";
    public const string LazyResetGrad = GradientAccumulation.LazyResetGrad;

    /// <summary>The forward (functions inlined) with its matrix multiplies in <paramref name="precision"/>; the routers' stay fp32.</summary>
    public static ModelProto WithPrecision(ModelProto forward, string precision) => precision == "fp32"
        ? forward
        : Autocast.Apply(FunctionInliner.Inline(forward), Autocast.Parse(precision), value => value.EndsWith("router.weight", StringComparison.Ordinal));

    /// <summary>Why <paramref name="precision"/> cannot run on the device, or null: ORT's CPU provider has no bfloat16 MatMul.</summary>
    public static string? UnsupportedPrecision(string precision, bool cuda) => precision == "bf16" && !cuda
        ? "precision bf16 needs --device cuda: ONNX Runtime's CPU provider has no bfloat16 MatMul (use fp16 or fp32 on the CPU)"
        : null;

    public static string Accumulated(string parameter) => GradientAccumulation.Accumulated(parameter);

    /// <summary>
    /// What training recomputes rather than keeps: the experts' products on their padded batches
    /// (an MoE layer's largest activations) and the attention probabilities (B · heads · S² each).
    /// Both are cheap to redo next to what keeping them costs (docs/benchmarks.md).
    /// </summary>
    public static bool IsRecomputed(NodeProto node) =>
        node.Name.Contains($".moe.{Flame.ModelGraphs.Moe.Experts.Scope}.", StringComparison.Ordinal) || node.Name.Contains($".attn.{CausalSelfAttention.ScoresScope}.", StringComparison.Ordinal);

    /// <param name="precision">"fp32", or "fp16"/"bf16" for matrix multiplies in that type (<see cref="Autocast"/>; the router stays fp32).</param>
    /// <param name="recompute">Recompute <see cref="IsRecomputed"/>'s values in the backward pass instead of keeping them.</param>
    public static ModelProto Build(ModelConfig config, LossSettings? losses = null, int opset = GraphBuilder.DefaultOpset, string precision = "fp32", bool recompute = true)
    {
        if (config.CapacityFactor is not null)
        {
            throw new ArgumentException($"model config '{config.Name}': training with capacity_factor (token dropping) is not supported; the gradient of the dropping dispatch is not verified. Train dropless (the FLAME-MoE default) and set capacity_factor only for inference experiments.");
        }

        var eval = EvalModel.Build(config, new ForwardOptions(WeightsAs.Inputs, Opset: opset), losses);
        var parameters = FlameMoeModel.Build(config, new ForwardOptions(WeightsAs.Inputs, Opset: opset)).Parameters;
        var kept = new HashSet<string> { TrainingLosses.Loss, TrainingLosses.LanguageModelLoss, TrainingLosses.LoadBalancingLoss, TrainingLosses.ZLoss };
        var outputs = eval.Graph.Output.Where(o => kept.Contains(o.Name) || o.Name.StartsWith("expert_load.", StringComparison.Ordinal)).ToList();
        eval.Graph.Output.Clear();
        eval.Graph.Output.AddRange(outputs);

        var model = Differentiator.Differentiate(WithPrecision(eval, precision), new GradientRequest(TrainingLosses.Loss, parameters.Select(p => p.Name).ToList())
        {
            GradientName = GradientAccumulation.Micro,
            SeedInput = LossScale,
            Recompute = recompute ? IsRecomputed : null,
        });
        model.Graph.Name = config.Name + "-training";

        GradientAccumulation.Add(model, parameters.Select(p => p.Name));
        return model;
    }
}
