using Flame.ModelGraphs.Builder;
using Flame.ModelGraphs.Config;

namespace Flame.ModelGraphs.Model;

/// <summary>What the attention layers of one graph share: the RoPE tables and the causal mask for its positions.</summary>
public sealed record Positions(Rope Rope, Value Mask)
{
    /// <summary>
    /// For the positions of <paramref name="sequence"/> (any tensor whose axis 1 is the sequence),
    /// offset by the cached length when <paramref name="pastKey"/> (B, heads, past, head_dim) is given.
    /// </summary>
    public static Positions For(GraphBuilder g, ModelConfig c, Value sequence, Value? pastKey = null)
    {
        var sequenceLength = g.DimOf(sequence, 1);                                       // [S]
        var pastLength = pastKey is null ? null : g.DimOf(pastKey, 2);                    // [P]
        var rope = new Rope(g, c.HeadDim, c.MaxSequenceLength, c.RopeBase, sequenceLength, pastLength);
        var mask = pastLength is null ? CausalSelfAttention.Mask(g, sequenceLength) : CausalSelfAttention.Mask(g, sequenceLength, pastLength);   // (S, P + S)
        return new Positions(rope, mask);
    }
}
