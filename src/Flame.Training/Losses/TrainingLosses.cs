using Flame.ModelGraphs.Builder;
using Flame.ModelGraphs.Config;
using DataType = Flame.Onnx.Proto.TensorProto.Types.DataType;

namespace Flame.Training.Losses;

/// <summary>The loss terms, as graph values; each is also a graph output for logging.</summary>
public sealed record LossValues(Value Total, Value LanguageModel, Value LoadBalancing, Value ZLoss);

/// <summary>The coefficients of the auxiliary losses (FLAME-MoE's by default); 0 leaves a term out of the objective but still logs it.</summary>
public sealed record LossSettings(double LoadBalancing = TrainingLosses.LoadBalancingCoefficient, double ZLoss = TrainingLosses.ZLossCoefficient)
{
    public static LossSettings Default { get; } = new();
}

/// <summary>
/// FLAME-MoE's training objective on top of the forward graph (flame-moe.md, after Megatron):
/// <code>
/// lm   = mean over targets ≠ ignore of −log softmax(logits)[target]                      (next-token cross-entropy)
/// aux  = E · Σ_i P_i f_i per MoE layer; P_i = mean_t softmax(router logits)_t,i, f_i = tokens routed to i / (T k)
///                                                                                    (load balancing, Switch/GShard)
/// z    = mean_t logsumexp(router logits_t)²  per MoE layer                               (router z-loss, ST-MoE)
/// loss = lm + 0.01 Σ_layers aux + 0.001 Σ_layers z
/// </code>
/// The logged load_balancing_loss and z_loss are averaged over layers and not multiplied by
/// their coefficients, as FLAME-MoE logs them.
/// </summary>
public static class TrainingLosses
{
    public const string Targets = "targets";
    public const string Loss = "loss";
    public const string LanguageModelLoss = "lm_loss";
    public const string LoadBalancingLoss = "load_balancing_loss";
    public const string ZLoss = "z_loss";

    /// <summary>Targets equal to this are not scored (padding).</summary>
    public const long IgnoreIndex = -100;

    /// <summary>Per MoE layer: the share of the T·k routed slots each expert received (E floats summing to 1).</summary>
    public static string ExpertLoad(int layer) => $"expert_load.{layer}";

    public const double LoadBalancingCoefficient = 0.01;
    public const double ZLossCoefficient = 0.001;

    /// <param name="logits">(B, S, V).</param>
    /// <param name="routing">Per MoE layer: its index, router logits (T, E) and top-k indices (T, k).</param>
    public static LossValues Append(GraphBuilder g, ModelConfig c, Value logits, IReadOnlyList<(int Layer, Value RouterLogits, Value TopKIndices)> routing, LossSettings? settings = null)
    {
        settings ??= LossSettings.Default;
        var targets = g.Input(Targets, DataType.Int64, logits[0], logits[1]);           // (B, S)

        // Cross-entropy over the targets that count.
        var scored = g.Where(g.Equal(targets, g.Constant(IgnoreIndex)), g.Constant(0f), g.Constant(1f));       // (B, S): 1 where scored
        var safeTargets = g.Where(g.Equal(targets, g.Constant(IgnoreIndex)), g.Constant(0L), targets);
        var logProbabilities = g.LogSoftmax(logits);                                      // (B, S, V)
        var targetLogProbability = g.GatherElements(logProbabilities, g.Unsqueeze(safeTargets, -1), -1);   // (B, S, 1)
        var negative = g.Neg(g.ReduceSum(g.Mul(g.ReduceSum(targetLogProbability, [-1], keepDims: false), scored), [0, 1], keepDims: false));
        var lm = g.Div(negative, g.ReduceSum(scored, [0, 1], keepDims: false));

        Value total = lm;
        Value? auxSum = null, zSum = null;
        foreach (var (layer, routerLogits, indices) in routing)
        {
            // P_i: mean over tokens of the full softmax.
            var meanProbability = g.ReduceMean(g.Softmax(routerLogits), [0], keepDims: false);   // (E)
            // f_i: share of the T·k routed slots that went to expert i.
            var experts = g.Constant(Enumerable.Range(0, c.Experts).Select(e => (long)e).ToArray(), [c.Experts]);
            var hits = g.Cast(g.Equal(g.Unsqueeze(indices, -1), experts), DataType.Float);   // (T, k, E)
            var fraction = g.Div(g.ReduceSum(hits, [0, 1], keepDims: false),
                g.Cast(g.Mul(g.DimOf(indices, 0), g.Constant((long)c.TopK)), DataType.Float));   // (E)
            g.Output(fraction, ExpertLoad(layer));
            var aux = g.Mul(g.Constant((float)c.Experts), g.ReduceSum(g.Mul(meanProbability, fraction), [0], keepDims: false));
            var logSumExp = g.ReduceLogSumExp(routerLogits, [1], keepDims: false);         // (T)
            var z = g.ReduceMean(g.Mul(logSumExp, logSumExp), [0], keepDims: false);
            auxSum = auxSum is null ? aux : g.Add(auxSum, aux);
            zSum = zSum is null ? z : g.Add(zSum, z);
        }

        var layers = Math.Max(1, routing.Count);
        var logAux = auxSum is null ? g.Constant(0f) : g.Div(auxSum, g.Constant((float)layers));
        var logZ = zSum is null ? g.Constant(0f) : g.Div(zSum, g.Constant((float)layers));
        if (auxSum is not null && zSum is not null)
        {
            if (settings.LoadBalancing != 0)
            {
                total = g.Add(total, g.Mul(auxSum, g.Constant((float)settings.LoadBalancing)));
            }

            if (settings.ZLoss != 0)
            {
                total = g.Add(total, g.Mul(zSum, g.Constant((float)settings.ZLoss)));
            }
        }

        return new LossValues(g.Output(total, Loss), g.Output(lm, LanguageModelLoss), g.Output(logAux, LoadBalancingLoss), g.Output(logZ, ZLoss));
    }
}
