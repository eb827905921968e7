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

    /// <summary>The scope of <see cref="ApplyAll"/>'s nodes (layers.N.moe.experts.*), which training may recompute in the backward pass.</summary>
    public const string Scope = "experts";

    /// <summary>
    /// All experts at once on a sorted batch (N, H) → (N, H): per group of experts of similar load,
    /// one batched MatMul per projection over its padded (E/G, C_g, H) batch, with the group's
    /// rows of the stacked weights: put in load order by a one-to-one scatter (whose gradient is a
    /// gather of rows; a gather's would be an adding scatter, ten times slower on ORT's CPU),
    /// then split by group.
    /// </summary>
    public Value ApplyAll(TokenDispatcher.SortedBatch batch)
    {
        using var scope = g.Scope(Scope);
        if (batch.Groups == 1)
        {
            // One (E, C, H) batch in index order: the stacked weights as they are.
            var all = g.Reshape(batch.ExpertTokens, "expert_capacity", Count, -1, hidden);
            return g.Reshape(SwiGlu.Apply(g, all, _fc1, _fc2, ffn), "expert_cells", -1, hidden);
        }

        var perGroup = Count / batch.Groups;
        // What the scatters overwrite: zeros ORT cannot fold into constants (folded, they were 0.55 GB of
        // initializers in flame-moe-38m's training and eval sessions): 0 · the largest load rank, spread.
        var zero = g.Mul(g.Cast(g.ReduceMax(batch.ExpertRanks, [0, 1], keepDims: false), Onnx.Proto.TensorProto.Types.DataType.Float), g.Constant(0f));
        var fc1 = Groups(g.ScatterRows(g.Expand(zero, g.Shape(_fc1), _fc1.Shape), batch.ExpertRanks, _fc1), batch.Groups, perGroup);
        var fc2 = Groups(g.ScatterRows(g.Expand(zero, g.Shape(_fc2), _fc2.Shape), batch.ExpertRanks, _fc2), batch.Groups, perGroup);
        var tokens = g.Split(batch.ExpertTokens, batch.GroupCells, 0,
            [.. Enumerable.Range(0, batch.Groups).Select(k => new[] { Dim.Sym($"group_cells_{k}"), batch.ExpertTokens[1] })]);
        var outputs = new Value[batch.Groups];
        for (var k = 0; k < batch.Groups; k++)
        {
            var grouped = g.Reshape(tokens[k], $"group_capacity_{k}", perGroup, -1, hidden);           // (E/G, C_g, H)
            outputs[k] = g.Reshape(SwiGlu.Apply(g, grouped, fc1[k], fc2[k], ffn), $"group_cells_{k}", -1, hidden);   // (E/G · C_g, H)
        }

        return g.Concat(0, outputs);
    }

    // A stacked tensor in load order, cut into its groups' rows.
    private Value[] Groups(Value stacked, int groups, int perGroup) =>
        g.Split(stacked, g.Constant(Enumerable.Repeat((long)perGroup, groups).ToArray(), [(long)groups]), 0,
            [.. Enumerable.Range(0, groups).Select(_ => (Dim[])[perGroup, .. stacked.Shape[1..]])]);

    /// <summary>Expert <paramref name="expert"/> applied to its dispatched tokens (n, H) → (n, H).</summary>
    public Value Apply(Value tokens, int expert)
    {
        var index = g.Constant((long)expert);
        return SwiGlu.Apply(g, tokens, g.Gather(_fc1, index), g.Gather(_fc2, index), ffn);
    }
}
