using Flame.ModelGraphs.Builder;
using Flame.ModelGraphs.Config;

namespace Flame.ModelGraphs.Moe;

/// <summary>
/// One shard of a layer's routed experts (expert parallelism): experts
/// [first, first + count) of the layer, whose weights are rows [first, first + count) of the
/// stacked experts.fc1/fc2 tensors. Every token and the whole routing come in (as Megatron's
/// all-gather dispatcher hands them to each rank); each expert of the shard gathers the tokens
/// that chose it, and the shard returns Σ_{e in shard} p_e(x) E_e(x) per token, zero where none
/// of its experts was chosen. The layer's routed output is the sum over its shards.
/// </summary>
public static class ExpertShard
{
    /// <summary>tokens (T, H) and the routing's top-k weights and indices (T, k) → the shard's share of the routed output (T, H).</summary>
    public static Value Apply(GraphBuilder g, ModelConfig c, Value tokens, Router.Routing routing, int first, int count)
    {
        var experts = new Experts(g, count, c.Hidden, c.ExpertFfn, c.InitStd);
        var outputs = new List<(TokenDispatcher.Dispatched, Value)>();
        for (var local = 0; local < count; local++)
        {
            var dispatched = TokenDispatcher.Dispatch(g, tokens, routing, first + local);   // (n_e, H): matched by the global expert index
            outputs.Add((dispatched, experts.Apply(dispatched.Tokens, local)));             // this shard's weights are indexed locally
        }

        return TokenDispatcher.CombineAll(g, g.ZerosLike(tokens), outputs);
    }
}
