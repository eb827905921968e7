using Flame.ModelGraphs.Builder;
using Flame.ModelGraphs.Model;

namespace Flame.ModelGraphs.Moe;

/// <summary>
/// The routed experts: E SwiGLU MLPs whose weights are stacked into experts.fc1.weight
/// [E, H, 2F] and experts.fc2.weight [E, F, H] (one tensor each, one checkpoint key each).
/// </summary>
public sealed class Experts(GraphBuilder g, int experts, int hidden, int ffn, double initStd)
{
    private readonly Value _fc1 = g.Parameter("experts.fc1.weight", [experts, hidden, 2 * ffn], Initialization.Normal, initStd);
    private readonly Value _fc2 = g.Parameter("experts.fc2.weight", [experts, ffn, hidden], Initialization.Normal, initStd);

    public int Count { get; } = experts;

    /// <summary>All experts at once on a padded batch (E, C, H) → (E, C, H): one batched MatMul per projection.</summary>
    public Value ApplyAll(Value expertTokens) => SwiGlu.Apply(g, expertTokens, _fc1, _fc2, ffn);

    /// <summary>Expert <paramref name="expert"/> applied to its dispatched tokens (n, H) → (n, H).</summary>
    public Value Apply(Value tokens, int expert)
    {
        var index = g.Constant((long)expert);
        return SwiGlu.Apply(g, tokens, g.Gather(_fc1, index), g.Gather(_fc2, index), ffn);
    }
}
