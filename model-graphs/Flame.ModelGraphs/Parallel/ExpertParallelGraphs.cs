using Flame.ModelGraphs.Builder;
using Flame.ModelGraphs.Config;
using Flame.ModelGraphs.Model;
using Flame.ModelGraphs.Moe;
using Flame.Onnx.Proto;
using DataType = Flame.Onnx.Proto.TensorProto.Types.DataType;

namespace Flame.ModelGraphs.Parallel;

/// <summary>
/// The decoder cut into graphs for expert parallelism (EP): trunk stages (attention, norms,
/// router, shared expert, dense layers) alternate with the S expert shards of each MoE layer.
/// Each graph runs in its own ORT session, so each shard can be placed on its own device.
/// The tensors between them, all named:
/// <list type="bullet">
/// <item>trunk → shards (dispatch): <c>moe_tokens.i</c> (T, H), <c>topk_weights.i</c>, <c>topk_indices.i</c> (T, k);</item>
/// <item>shard s → next trunk (combine): <c>moe_routed.i.s</c> (T, H), summed by the next trunk stage;</item>
/// <item>trunk → next trunk: <c>moe_residual.i</c> = x + attn + shared expert (B, S, H);</item>
/// <item>trunk → outputs (as in the whole graph): <c>router_logits.i</c>, <c>topk_weights.i</c>, <c>topk_indices.i</c>, and <c>logits</c> from the last stage.</item>
/// </list>
/// Summing the routed output after the shared expert changes the order of two float
/// additions, so results match the whole graph to rounding, not bit for bit.
/// </summary>
public static class ExpertParallelGraphs
{
    public static string MoeTokens(int layer) => $"moe_tokens.{layer}";

    public static string MoeResidual(int layer) => $"moe_residual.{layer}";

    public static string MoeRouted(int layer, int shard) => $"moe_routed.{layer}.{shard}";

    /// <summary>Whether <paramref name="name"/> is one of the tensors between stages that the whole graph does not have.</summary>
    public static bool IsBoundary(string name) => name.StartsWith("moe_tokens.", StringComparison.Ordinal)
        || name.StartsWith("moe_residual.", StringComparison.Ordinal) || name.StartsWith("moe_routed.", StringComparison.Ordinal);

    /// <summary>What the last stage adds after the logits (the training losses): it gets the logits and, as inputs of the last stage, every MoE layer's router logits and top-k indices.</summary>
    public delegate void Tail(GraphBuilder g, Value logits, IReadOnlyList<(int Layer, Value RouterLogits, Value TopKIndices)> routing);

    /// <summary>
    /// The stages in the order they run: trunk 0, the shards of the first MoE layer, trunk 1, ...
    /// Parameters are graph inputs named as in the whole model; an expert shard's fc1/fc2 are
    /// rows of the full stacked tensors (<see cref="StageParameter.FirstRow"/>).
    /// </summary>
    public static IReadOnlyList<ForwardStage> Build(ModelConfig c, int shards, Tail? tail = null, int opset = GraphBuilder.DefaultOpset)
    {
        Check(c, shards);
        var stages = new List<ForwardStage>();
        var perShard = c.Experts / shards;
        var g = new GraphBuilder($"{c.Name}-trunk.0", opset);
        var ids = g.Input(FlameMoeModel.InputIds, DataType.Int64, Dim.Sym("batch"), Dim.Sym("seq"));
        Positions? positions = null;
        var x = FlameMoeModel.Embed(g, c, ids);                                          // (B, S, H)
        for (var i = 0; i < c.Layers; i++)
        {
            using var layer = g.Scope($"layers.{i}");
            positions ??= Positions.For(g, c, x);
            (x, _) = FlameMoeModel.AttentionBlock(g, c, x, positions);                   // x = x + attn(norm(x))
            var normed = FlameMoeModel.MlpNorm(g, c, x);
            if (!c.IsMoeLayer(i))
            {
                x = g.Add(x, FlameMoeModel.DenseMlp(g, c, normed));                      // x = x + mlp(norm(x))
                continue;
            }

            // Route here; the routed experts run in the shards; the shared expert stays in the trunk.
            using (g.Scope("moe"))
            {
                var (tokens, routing) = MoeLayer.Route(g, c, normed);
                var residual = c.SharedFfn > 0 ? g.Add(x, g.ReshapeLike(SharedExpert.Apply(g, tokens, c.Hidden, c.SharedFfn, c.InitStd), x)) : x;
                g.Output(tokens, MoeTokens(i));
                g.Output(routing.Logits, FlameMoeModel.RouterLogits(i));
                g.Output(routing.Weights, FlameMoeModel.TopKWeights(i));
                g.Output(routing.Indices, FlameMoeModel.TopKIndices(i));
                g.Output(residual, MoeResidual(i));
            }

            stages.Add(Trunk(g, stages.Count(s => !s.IsExpertShard)));
            for (var s = 0; s < shards; s++)
            {
                stages.Add(Shard(c, i, s, perShard, opset));
            }

            // The next trunk stage combines: x = residual + Σ_s routed_s.
            g = new GraphBuilder($"{c.Name}-trunk.{stages.Count(s => !s.IsExpertShard)}", opset);
            positions = null;
            x = g.Input(MoeResidual(i), DataType.Float, Dim.Sym("batch"), Dim.Sym("seq"), c.Hidden);
            var routed = g.Input(MoeRouted(i, 0), DataType.Float, Dim.Sym("tokens"), c.Hidden);
            for (var s = 1; s < shards; s++)
            {
                routed = g.Add(routed, g.Input(MoeRouted(i, s), DataType.Float, Dim.Sym("tokens"), c.Hidden));
            }

            x = g.Add(x, g.ReshapeLike(routed, x));
        }

        var logits = g.Output(FlameMoeModel.Head(g, c, x), FlameMoeModel.Logits);
        if (tail is not null)
        {
            var routingInputs = Enumerable.Range(0, c.Layers).Where(c.IsMoeLayer).Select(i => (i,
                g.Input(FlameMoeModel.RouterLogits(i), DataType.Float, Dim.Sym("tokens"), c.Experts),
                g.Input(FlameMoeModel.TopKIndices(i), DataType.Int64, Dim.Sym("tokens"), c.TopK))).ToList();
            tail(g, logits, routingInputs);
        }

        stages.Add(Trunk(g, stages.Count(s => !s.IsExpertShard)));
        return stages;
    }

    /// <summary>Whether <paramref name="c"/> can be split into <paramref name="shards"/> expert shards; the message says why not.</summary>
    public static void Check(ModelConfig c, int shards)
    {
        c.Validate();
        if (c.Experts == 0 || c.Layers <= c.DenseLayers)
        {
            throw new ArgumentException($"model config '{c.Name}' has no MoE layer to shard");
        }

        if (shards < 1 || c.Experts % shards != 0)
        {
            throw new ArgumentException($"expert shards must divide the {c.Experts} experts of '{c.Name}' (got {shards})");
        }

        if (c.CapacityFactor is not null)
        {
            throw new ArgumentException($"model config '{c.Name}': expert parallelism is dropless; capacity_factor is not supported");
        }
    }

    private static ForwardStage Trunk(GraphBuilder g, int index) =>
        new($"trunk.{index}", g.ToModel(WeightsAs.Inputs), [.. g.Parameters.Select(p => new StageParameter(p.Name, p.Shape, 0))]);

    private static ForwardStage Shard(ModelConfig c, int layer, int shard, int perShard, int opset)
    {
        var g = new GraphBuilder($"{c.Name}-experts.{layer}.{shard}", opset);
        var tokens = g.Input(MoeTokens(layer), DataType.Float, Dim.Sym("tokens"), c.Hidden);
        var weights = g.Input(FlameMoeModel.TopKWeights(layer), DataType.Float, Dim.Sym("tokens"), c.TopK);
        var indices = g.Input(FlameMoeModel.TopKIndices(layer), DataType.Int64, Dim.Sym("tokens"), c.TopK);
        using (g.Scope($"layers.{layer}.moe"))
        {
            var routed = ExpertShard.Apply(g, c, tokens, new Router.Routing(default!, weights, indices), shard * perShard, perShard);
            g.Output(routed, MoeRouted(layer, shard));
        }

        return new ForwardStage($"experts.{layer}.{shard}", g.ToModel(WeightsAs.Inputs),
            [.. g.Parameters.Select(p => new StageParameter(p.Name, p.Shape, (long)shard * perShard))], layer, shard);
    }
}
