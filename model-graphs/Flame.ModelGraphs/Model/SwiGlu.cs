using Flame.ModelGraphs.Builder;

namespace Flame.ModelGraphs.Model;

/// <summary>SwiGLU MLP (Shazeer, 2020): h = x fc1 → gate = h[:ffn], value = h[ffn:]; out = (silu(gate) · value) fc2.</summary>
public static class SwiGlu
{
    /// <summary>Registers fc1.weight [hidden, 2 ffn] and fc2.weight [ffn, hidden] in the current scope.</summary>
    public static Value Apply(GraphBuilder g, Value x, int hidden, int ffn, double initStd) =>
        Apply(g, x, g.Parameter("fc1.weight", [hidden, 2 * ffn], Initialization.Normal, initStd),
            g.Parameter("fc2.weight", [ffn, hidden], Initialization.Normal, initStd), ffn);

    /// <summary>With given weights (an expert's slice of the stacked expert weights).</summary>
    public static Value Apply(GraphBuilder g, Value x, Value fc1, Value fc2, int ffn)
    {
        var h = g.MatMul(x, fc1);                                                      // (..., 2 ffn)
        var gate = g.Slice(h, -1, 0, ffn);
        var value = g.Slice(h, -1, ffn, 2 * ffn);
        return g.MatMul(g.Mul(g.Silu(gate), value), fc2);                              // (..., hidden)
    }
}
