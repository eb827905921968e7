using Flame.ModelGraphs.Builder;

namespace Flame.ModelGraphs.Model;

/// <summary>RMSNorm (Zhang &amp; Sennrich, 2019): y = x / sqrt(mean(x²) + ε) · w, over the last axis, in fp32.</summary>
public static class RmsNorm
{
    /// <summary>Registers "weight" [hidden] in the current scope.</summary>
    public static Value Apply(GraphBuilder g, Value x, int hidden, double epsilon)
    {
        var weight = g.Parameter("weight", [hidden], Initialization.Ones);
        var meanSquare = g.ReduceMean(g.Mul(x, x), [-1]);                              // (..., 1)
        var inverseRms = g.Div(g.Constant(1f), g.Sqrt(g.Add(meanSquare, g.Constant((float)epsilon))));
        return g.Mul(g.Mul(x, inverseRms), weight);                                     // (..., hidden)
    }
}
