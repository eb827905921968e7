using Flame.ModelGraphs.Builder;

namespace Flame.ModelGraphs.Model;

/// <summary>
/// Rotary position embedding (Su et al., 2021) on the whole head dimension, rotate-half
/// layout: dimension j pairs with j + d/2, rotated by angle p · θ^(−2i/d), i = j mod d/2.
/// x' = x · cos + rotate_half(x) · sin, rotate_half(x) = [−x₂, x₁].
/// </summary>
public sealed class Rope
{
    private readonly Value _cos;
    private readonly Value _sin;
    private readonly int _headDim;

    /// <summary>
    /// Tables for every position up to max_seq_len, sliced to the positions of this call: 0 to
    /// the sequence length, or (with a KV cache) from the cached length <paramref name="offset"/> on.
    /// </summary>
    public Rope(GraphBuilder g, int headDim, int maxSequence, double theta, Value sequenceLength, Value? offset = null)
    {
        _headDim = headDim;
        var cos = new float[maxSequence * headDim];
        var sin = new float[maxSequence * headDim];
        for (var p = 0; p < maxSequence; p++)
        {
            for (var j = 0; j < headDim; j++)
            {
                var angle = p * Math.Pow(theta, -2.0 * (j % (headDim / 2)) / headDim);
                cos[p * headDim + j] = (float)Math.Cos(angle);
                sin[p * headDim + j] = (float)Math.Sin(angle);
            }
        }

        if (offset is null)
        {
            _cos = g.SliceTo(g.Constant(cos, [maxSequence, headDim]), 0, sequenceLength, Dim.Sym("seq"));   // (seq, head_dim)
            _sin = g.SliceTo(g.Constant(sin, [maxSequence, headDim]), 0, sequenceLength, Dim.Sym("seq"));
        }
        else
        {
            var end = g.Add(offset, sequenceLength);
            _cos = g.SliceRange(g.Constant(cos, [maxSequence, headDim]), 0, offset, end, Dim.Sym("seq"));
            _sin = g.SliceRange(g.Constant(sin, [maxSequence, headDim]), 0, offset, end, Dim.Sym("seq"));
        }
    }

    /// <summary>x: (batch, heads, seq, head_dim).</summary>
    public Value Apply(GraphBuilder g, Value x)
    {
        var half = _headDim / 2;
        var rotated = g.Concat(-1, g.Neg(g.Slice(x, -1, half, _headDim)), g.Slice(x, -1, 0, half));   // [−x₂, x₁]
        return g.Add(g.Mul(x, _cos), g.Mul(rotated, _sin));
    }
}
