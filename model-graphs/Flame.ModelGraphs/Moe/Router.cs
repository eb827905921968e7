using Flame.ModelGraphs.Builder;
using Flame.ModelGraphs.Functions;
using DataType = Flame.Onnx.Proto.TensorProto.Types.DataType;

namespace Flame.ModelGraphs.Moe;

/// <summary>
/// The top-k router, as the ai.flame TopKRouter function. Glossary (as Megatron's):
/// <list type="bullet">
/// <item><b>logits</b>: x W_r, one score per expert, fp32 (the z-loss reads them);</item>
/// <item><b>probs</b>: softmax of the logits over ALL experts (the load-balancing loss reads their means);</item>
/// <item><b>top-k weights</b>: the k largest probs, used as combine weights without renormalisation;</item>
/// <item><b>top-k indices</b>: the experts they belong to, best first (the routing map, and the traces).</item>
/// </list>
/// </summary>
public static class Router
{
    public sealed record Routing(Value Logits, Value Weights, Value Indices);

    /// <summary>
    /// Expert interventions for probing (E floats each, 1 = untouched): <paramref name="Mask"/> 0 takes
    /// an expert out of the choice (the next best fill the top-k); <paramref name="Keep"/> 0 sets its
    /// combine weight to 0 (its contribution removed, the choice unchanged).
    /// </summary>
    public sealed record Interventions(Value Mask, Value Keep);

    /// <summary>x: (T, H). Registers router.weight [H, E].</summary>
    public static Routing Apply(GraphBuilder g, Value x, int hidden, int experts, int topK, double initStd, Interventions? interventions = null)
    {
        var weight = g.Parameter("router.weight", [hidden, experts], Initialization.Normal, initStd);
        var tokens = x[0];
        if (interventions is not null)
        {
            // The TopKRouter function's math written out, with the interventions in between:
            // masked experts drop below every probability (probs lie in [0, 1]) before the top-k.
            var logits = g.MatMul(g.Cast(x, DataType.Float), weight);                  // (T, E)
            var probs = g.Softmax(logits);
            var selectable = g.Add(probs, g.Mul(g.Sub(interventions.Mask, g.Constant(1f)), g.Constant(2f)));
            var (_, indices) = g.TopK(selectable, topK);                                // (T, k)
            var weights = g.Mul(g.GatherElements(probs, indices, -1), g.Gather(interventions.Keep, indices));
            return new Routing(logits, weights, indices);
        }

        var outputs = g.Call(FlameFunctions.TopKRouter(g.Opset), [x, weight],
            [(DataType.Float, [tokens, experts]), (DataType.Float, [tokens, topK]), (DataType.Int64, [tokens, topK])],
            FlameFunctions.TopKAttribute(topK));
        return new Routing(outputs[0], outputs[1], outputs[2]);                        // (T, E), (T, k), (T, k)
    }
}
