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

    /// <summary>x: (T, H). Registers router.weight [H, E].</summary>
    public static Routing Apply(GraphBuilder g, Value x, int hidden, int experts, int topK, double initStd)
    {
        var weight = g.Parameter("router.weight", [hidden, experts], Initialization.Normal, initStd);
        var tokens = x[0];
        var outputs = g.Call(FlameFunctions.TopKRouter(g.Opset), [x, weight],
            [(DataType.Float, [tokens, experts]), (DataType.Float, [tokens, topK]), (DataType.Int64, [tokens, topK])],
            FlameFunctions.TopKAttribute(topK));
        return new Routing(outputs[0], outputs[1], outputs[2]);                        // (T, E), (T, k), (T, k)
    }
}
