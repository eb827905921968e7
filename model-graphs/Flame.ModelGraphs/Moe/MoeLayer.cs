using Flame.ModelGraphs.Builder;
using Flame.ModelGraphs.Config;

namespace Flame.ModelGraphs.Moe;

/// <summary>
/// One MoE layer: route → dispatch → experts → combine, plus the shared expert:
/// y = Σ_{i ∈ top-k(x)} p_i(x) E_i(x) + S(x).
/// </summary>
public static class MoeLayer
{
    public sealed record Output(Value Y, Router.Routing Routing);

    /// <summary>x: (batch, seq, hidden) → y of the same shape, and the layer's routing (per token of the flattened batch).</summary>
    public static Output Apply(GraphBuilder g, ModelConfig c, Value x)
    {
        if (c.CapacityFactor is not null)
        {
            throw new NotSupportedException("capacity_factor: only dropless routing (capacity_factor null, FLAME-MoE's setting) is built so far");
        }

        var tokens = g.Reshape(x, -1, c.Hidden);                                        // (T, H)
        var routing = Router.Apply(g, tokens, c.Hidden, c.Experts, c.TopK, c.InitStd);  // (T, E), (T, k), (T, k)
        var experts = new Experts(g, c.Experts, c.Hidden, c.ExpertFfn, c.InitStd);
        var outputs = new List<(TokenDispatcher.Dispatched Dispatched, Value Output)>();
        for (var e = 0; e < c.Experts; e++)
        {
            var dispatched = TokenDispatcher.Dispatch(g, tokens, routing, e);          // (n_e, H)
            outputs.Add((dispatched, experts.Apply(dispatched.Tokens, e)));            // (n_e, H)
        }

        var y = TokenDispatcher.CombineAll(g, g.ZerosLike(tokens), outputs);            // (T, H)

        if (c.SharedFfn > 0)
        {
            y = g.Add(y, SharedExpert.Apply(g, tokens, c.Hidden, c.SharedFfn, c.InitStd));
        }

        return new Output(g.ReshapeLike(y, x), routing);                              // (B, S, H)
    }
}
