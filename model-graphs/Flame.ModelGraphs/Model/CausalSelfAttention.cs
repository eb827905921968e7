using Flame.ModelGraphs.Builder;
using Flame.ModelGraphs.Config;

namespace Flame.ModelGraphs.Model;

/// <summary>Multi-head causal self-attention with RoPE; no bias, no GQA, no QK-norm (FLAME-MoE).</summary>
public static class CausalSelfAttention
{
    /// <summary>The scope of the attention probabilities' nodes (layers.N.attn.scores.*), which training may recompute in the backward pass.</summary>
    public const string ScoresScope = "scores";

    /// <summary>Cached keys and values of earlier positions, (batch, heads, past, head_dim) each.</summary>
    public sealed record KeyValue(Value Key, Value Value);

    /// <summary>x: (batch, seq, hidden); <paramref name="mask"/>: (seq, seq) with −∞ above the diagonal.</summary>
    public static Value Apply(GraphBuilder g, ModelConfig c, Value x, Rope rope, Value mask) => Apply(g, c, x, rope, mask, null).Output;

    /// <summary>
    /// With a KV cache: the new positions attend to the cached ones and to themselves
    /// (<paramref name="mask"/>: (seq, past + seq)); returns the output and the cache extended by them.
    /// </summary>
    public static (Value Output, KeyValue Present) Apply(GraphBuilder g, ModelConfig c, Value x, Rope rope, Value mask, KeyValue? past)
    {
        int h = c.Hidden, heads = c.Heads, d = c.HeadDim;
        var qkvWeight = g.Parameter("qkv.weight", [h, 3 * h], Initialization.Normal, c.InitStd);
        var outWeight = g.Parameter("out.weight", [h, h], Initialization.Normal, c.InitStd);

        var qkv = g.MatMul(x, qkvWeight);                                              // (B, S, 3H)
        Value Heads(Value t) => g.Transpose(g.Reshape(t, 0, 0, heads, d), 0, 2, 1, 3);   // (B, nh, S, hd)
        var q = rope.Apply(g, Heads(g.Slice(qkv, -1, 0, h)));
        var k = rope.Apply(g, Heads(g.Slice(qkv, -1, h, 2 * h)));
        var v = Heads(g.Slice(qkv, -1, 2 * h, 3 * h));
        if (past is not null)
        {
            k = g.Concat(2, past.Key, k);                                               // (B, nh, past + S, hd)
            v = g.Concat(2, past.Value, v);
        }

        Value attention;
        using (g.Scope(ScoresScope))
        {
            var scores = g.Mul(g.MatMul(q, g.Transpose(k, 0, 1, 3, 2)), g.Constant((float)(1 / Math.Sqrt(d))));   // (B, nh, S, S)
            attention = g.Softmax(g.Add(scores, mask));
        }

        var y = g.MatMul(attention, v);                                                // (B, nh, S, hd)
        y = g.Reshape(g.Transpose(y, 0, 2, 1, 3), 0, 0, h);                            // (B, S, H)
        return (g.MatMul(y, outWeight), new KeyValue(k, v));                           // (B, S, H)
    }

    /// <summary>The additive causal mask for the run-time sequence length: 0 on and below the diagonal, −∞ above.</summary>
    /// <summary>The mask of new positions against cached + new ones: (seq, past + seq), −∞ where a key lies after the query.</summary>
    public static Value Mask(GraphBuilder g, Value sequenceLength, Value pastLength)
    {
        var total = g.Add(pastLength, sequenceLength);
        var rectangle = g.Concat(0, sequenceLength, total);                             // [S, P + S]
        Dim[] shape = [Dim.Sym("seq"), Dim.Sym("total_seq")];
        var future = g.Triangle(g.Filled(rectangle, 1f, shape), g.Reshape(g.Add(pastLength, g.Constant([1L], [1]))), upper: true);   // key j > P + query i
        return g.Where(g.Cast(future, Flame.Onnx.Proto.TensorProto.Types.DataType.Bool), g.Constant(float.NegativeInfinity), g.Constant(0f));
    }

    public static Value Mask(GraphBuilder g, Value sequenceLength)
    {
        var square = g.Concat(0, sequenceLength, sequenceLength);                      // [S, S]
        Dim[] shape = [Dim.Sym("seq"), Dim.Sym("seq")];
        var future = g.Triangle(g.Filled(square, 1f, shape), 1, upper: true);          // 1 above the diagonal
        return g.Where(g.Cast(future, Flame.Onnx.Proto.TensorProto.Types.DataType.Bool), g.Constant(float.NegativeInfinity), g.Constant(0f));
    }
}
