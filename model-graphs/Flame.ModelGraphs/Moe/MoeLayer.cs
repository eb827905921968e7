using Flame.ModelGraphs.Builder;
using Flame.ModelGraphs.Config;

namespace Flame.ModelGraphs.Moe;

/// <summary>
/// One MoE layer: route → dispatch → experts → combine, plus the shared expert:
/// y = Σ_{i ∈ top-k(x)} p_i(x) E_i(x) + S(x).
/// </summary>
public static class MoeLayer
{
    /// <param name="DroppedFraction">Capacity mode only: the fraction of the T·k token-slots dropped (float scalar); null when dropless.</param>
    public sealed record Output(Value Y, Router.Routing Routing, Value? DroppedFraction);

    /// <summary>x: (batch, seq, hidden) → y of the same shape, and the layer's routing (per token of the flattened batch).</summary>
    /// <param name="groupByLoad">Sorted dispatch: pad the experts in groups of similar load (<see cref="TokenDispatcher.GroupsOf"/>), or all to the busiest.</param>
    public static Output Apply(GraphBuilder g, ModelConfig c, Value x, Router.Interventions? interventions = null, bool groupByLoad = true)
    {
        var (tokens, routing) = Route(g, c, x, interventions);                          // (T, H); (T, E), (T, k), (T, k)
        var experts = new Experts(g, c.Experts, c.Hidden, c.ExpertFfn, c.InitStd);
        if (c.Dispatch == ModelConfig.DispatchSorted)
        {
            var batch = TokenDispatcher.DispatchSorted(g, tokens, routing, c.Experts, groupByLoad ? TokenDispatcher.GroupsOf(c.Experts) : 1);     // (N, H) in groups of experts
            var sorted = TokenDispatcher.CombineSorted(g, batch, experts.ApplyAll(batch), tokens);   // (T, H)
            return new Output(g.ReshapeLike(WithSharedExpert(g, c, tokens, sorted), x), routing, null);
        }

        var capacity = c.CapacityFactor is { } factor ? Capacity(g, tokens, factor, c.TopK, c.Experts) : null;
        var outputs = new List<(TokenDispatcher.Dispatched Dispatched, Value Output)>();
        var dropped = new List<Value>();
        for (var e = 0; e < c.Experts; e++)
        {
            var dispatched = TokenDispatcher.Dispatch(g, tokens, routing, e);          // (n_e, H)
            if (capacity is not null)
            {
                (dispatched, var droppedHere) = TokenDispatcher.Truncate(g, dispatched, capacity, e);
                dropped.Add(droppedHere);
            }

            outputs.Add((dispatched, experts.Apply(dispatched.Tokens, e)));            // (n_e, H)
        }

        var y = WithSharedExpert(g, c, tokens, TokenDispatcher.CombineAll(g, g.ZerosLike(tokens), outputs));   // (T, H)

        Value? droppedFraction = null;
        if (capacity is not null)
        {
            var slots = g.Cast(g.Mul(g.DimOf(tokens, 0), g.Constant((long)c.TopK)), Flame.Onnx.Proto.TensorProto.Types.DataType.Float);
            var total = g.Cast(g.ReduceSum(g.Concat(0, [.. dropped]), [0], keepDims: false), Flame.Onnx.Proto.TensorProto.Types.DataType.Float);
            droppedFraction = g.Div(total, g.Reshape(slots));                          // scalar
        }

        return new Output(g.ReshapeLike(y, x), routing, droppedFraction);             // (B, S, H)
    }

    /// <summary>x: (batch, seq, hidden) flattened to tokens (T, H), and their routing.</summary>
    public static (Value Tokens, Router.Routing Routing) Route(GraphBuilder g, ModelConfig c, Value x, Router.Interventions? interventions = null)
    {
        var tokens = g.Reshape(x, "tokens", -1, c.Hidden);   // (T = B·S, H); the routing outputs' first dimension
        return (tokens, Router.Apply(g, tokens, c.Hidden, c.Experts, c.TopK, c.InitStd, interventions));
    }

    private static Value WithSharedExpert(GraphBuilder g, ModelConfig c, Value tokens, Value routed) =>
        c.SharedFfn > 0 ? g.Add(routed, SharedExpert.Apply(g, tokens, c.Hidden, c.SharedFfn, c.InitStd)) : routed;

    /// <summary>C = ceil(capacity_factor · T · k / E) as int64 [1] (T known only at run time).</summary>
    private static Value Capacity(GraphBuilder g, Value tokens, double factor, int topK, int experts)
    {
        var count = g.Cast(g.DimOf(tokens, 0), Flame.Onnx.Proto.TensorProto.Types.DataType.Float);
        var capacity = g.Ceil(g.Mul(count, g.Constant((float)(factor * topK / experts))));
        return g.Cast(capacity, Flame.Onnx.Proto.TensorProto.Types.DataType.Int64);
    }
}
