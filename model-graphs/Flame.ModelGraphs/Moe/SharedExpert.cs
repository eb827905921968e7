using Flame.ModelGraphs.Builder;
using Flame.ModelGraphs.Model;

namespace Flame.ModelGraphs.Moe;

/// <summary>The shared expert: one ungated SwiGLU MLP every token goes through, its output added to the routed experts' (FLAME-MoE: 2 × expert FFN wide).</summary>
public static class SharedExpert
{
    public static Value Apply(GraphBuilder g, Value x, int hidden, int ffn, double initStd)
    {
        using var scope = g.Scope("shared");
        return SwiGlu.Apply(g, x, hidden, ffn, initStd);
    }
}
