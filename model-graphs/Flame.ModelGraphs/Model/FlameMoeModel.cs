using Flame.ModelGraphs.Builder;
using Flame.ModelGraphs.Config;
using Flame.ModelGraphs.Moe;
using Flame.Onnx.Proto;
using DataType = Flame.Onnx.Proto.TensorProto.Types.DataType;

namespace Flame.ModelGraphs.Model;

/// <summary>How to build the forward graph.</summary>
/// <param name="Weights">Parameters as graph inputs (training: bound by name, nothing allocated) or seeded initializers (inference, export).</param>
/// <param name="Seed">Seed of the initial weights (FLAME-MoE: 1234).</param>
/// <param name="Opset">ai.onnx opset (17 by default; higher selectable).</param>
/// <param name="ExpertInterventions">Add the inputs expert_mask.i and expert_keep.i per MoE layer (see <see cref="Router"/>), for probing experts.</param>
/// <param name="KvCache">Add past_key_values.i.key/value inputs and present.i.key/value outputs (a decoder with past, as ONNX decoder exports have).</param>
public sealed record ForwardOptions(WeightsAs Weights = WeightsAs.Initializers, ulong Seed = 1234, int Opset = GraphBuilder.DefaultOpset, bool ExpertInterventions = false, bool KvCache = false);

/// <summary>The forward graph and what it contains.</summary>
public sealed record ForwardGraph(ModelProto Model, IReadOnlyList<ParameterSpec> Parameters, IReadOnlyList<int> MoeLayers);

/// <summary>The forward pass's values inside a graph being built, for what comes after it (losses).</summary>
/// <param name="Routing">Per MoE layer (0-based index): router logits (T, E), top-k weights and indices (T, k).</param>
public sealed record ForwardValues(Value Logits, IReadOnlyList<(int Layer, Value RouterLogits, Value TopKWeights, Value TopKIndices)> Routing);

/// <summary>
/// The FLAME-MoE decoder (and its dense baselines) as an ONNX graph, embedding to logits.
/// Inputs: input_ids int64 (batch, seq). Outputs: logits (batch, seq, vocab_padded) and, per
/// MoE layer i, router_logits.i (T, E), topk_weights.i (T, k), topk_indices.i (T, k) with
/// T = batch · seq tokens in row-major order.
/// </summary>
public static class FlameMoeModel
{
    public const string InputIds = "input_ids";
    public const string Logits = "logits";

    public static string RouterLogits(int layer) => $"router_logits.{layer}";

    public static string TopKWeights(int layer) => $"topk_weights.{layer}";

    public static string TopKIndices(int layer) => $"topk_indices.{layer}";

    /// <summary>Capacity mode only: the fraction of token-slots the layer dropped.</summary>
    public static string DroppedFraction(int layer) => $"dropped_fraction.{layer}";

    /// <summary>Intervention input (E floats): 0 removes an expert from the router's choice, the next best takes its place.</summary>
    public static string ExpertMask(int layer) => $"expert_mask.{layer}";

    /// <summary>Intervention input (E floats): 0 zeroes an expert's contribution, the routing unchanged.</summary>
    public static string ExpertKeep(int layer) => $"expert_keep.{layer}";

    /// <summary>KV cache input: the keys (or values) of earlier positions, (batch, heads, past, head_dim).</summary>
    public static string PastKeyValue(int layer, string keyOrValue) => $"past_key_values.{layer}.{keyOrValue}";

    /// <summary>KV cache output: past + new positions' keys (or values).</summary>
    public static string PresentKeyValue(int layer, string keyOrValue) => $"present.{layer}.{keyOrValue}";

    public static ForwardGraph Build(ModelConfig c, ForwardOptions? options = null)
    {
        options ??= new ForwardOptions();
        var g = new GraphBuilder(c.Name, options.Opset);
        var forward = Define(g, c, options.ExpertInterventions, options.KvCache);
        var metadata = new Dictionary<string, string> { ["flame.config"] = ModelConfigs.ToJson(c) };
        return new ForwardGraph(g.ToModel(options.Weights, options.Seed, metadata), g.Parameters, forward.Routing.Select(r => r.Layer).ToList());
    }

    /// <summary>Emits the decoder into <paramref name="g"/>: input_ids in, logits and routing outputs out.</summary>
    public static ForwardValues Define(GraphBuilder g, ModelConfig c, bool expertInterventions = false, bool kvCache = false)
    {
        c.Validate();
        var ids = g.Input(InputIds, DataType.Int64, Dim.Sym("batch"), Dim.Sym("seq"));   // (B, S)
        var past = kvCache
            ? Enumerable.Range(0, c.Layers).Select(i => new CausalSelfAttention.KeyValue(
                g.Input(PastKeyValue(i, "key"), DataType.Float, Dim.Sym("batch"), c.Heads, Dim.Sym("past_seq"), c.HeadDim),
                g.Input(PastKeyValue(i, "value"), DataType.Float, Dim.Sym("batch"), c.Heads, Dim.Sym("past_seq"), c.HeadDim))).ToList()
            : null;
        var positions = Positions.For(g, c, ids, past?[0].Key);

        var x = Embed(g, c, ids);                                                        // (B, S, H)
        var routing = new List<(int, Value, Value, Value)>();
        for (var i = 0; i < c.Layers; i++)
        {
            using var layer = g.Scope($"layers.{i}");
            (x, var present) = AttentionBlock(g, c, x, positions, past?[i]);            // x = x + attn(norm(x))
            if (past is not null)
            {
                g.Output(present.Key, PresentKeyValue(i, "key"));
                g.Output(present.Value, PresentKeyValue(i, "value"));
            }

            var normed = MlpNorm(g, c, x);
            if (c.IsMoeLayer(i))
            {
                using var moe = g.Scope("moe");
                var interventions = expertInterventions
                    ? new Router.Interventions(g.Input(ExpertMask(i), DataType.Float, c.Experts), g.Input(ExpertKeep(i), DataType.Float, c.Experts))
                    : null;
                // A decoder with past runs a few tokens a step: padding them is cheap, permuting the experts' weights is not.
                var output = MoeLayer.Apply(g, c, normed, interventions, groupByLoad: !kvCache);
                x = g.Add(x, output.Y);                                                  // x = x + moe(norm(x))
                routing.Add((i, g.Output(output.Routing.Logits, RouterLogits(i)), g.Output(output.Routing.Weights, TopKWeights(i)),
                    g.Output(output.Routing.Indices, TopKIndices(i))));
                if (output.DroppedFraction is { } dropped)
                {
                    g.Output(dropped, DroppedFraction(i));
                }
            }
            else
            {
                x = g.Add(x, DenseMlp(g, c, normed));                                    // x = x + mlp(norm(x))
            }
        }

        var logits = g.Output(Head(g, c, x), Logits);                                    // (B, S, V)
        return new ForwardValues(logits, routing);
    }

    /// <summary>The token embedding: ids (B, S) → (B, S, H).</summary>
    public static Value Embed(GraphBuilder g, ModelConfig c, Value ids) =>
        g.Gather(g.Parameter("embed.weight", [c.PaddedVocab, c.Hidden], Initialization.Normal, c.InitStd), ids);

    /// <summary>x + attn(norm(x)) inside a layer's scope, and the layer's keys and values.</summary>
    public static (Value X, CausalSelfAttention.KeyValue Present) AttentionBlock(GraphBuilder g, ModelConfig c, Value x, Positions positions, CausalSelfAttention.KeyValue? past = null)
    {
        Value normed;
        using (g.Scope("attn_norm"))
        {
            normed = RmsNorm.Apply(g, x, c.Hidden, c.NormEpsilon);
        }

        using (g.Scope("attn"))
        {
            var (attention, present) = CausalSelfAttention.Apply(g, c, normed, positions.Rope, positions.Mask, past);
            return (g.Add(x, attention), present);
        }
    }

    /// <summary>The norm in front of a layer's MLP or MoE.</summary>
    public static Value MlpNorm(GraphBuilder g, ModelConfig c, Value x)
    {
        using (g.Scope("mlp_norm"))
        {
            return RmsNorm.Apply(g, x, c.Hidden, c.NormEpsilon);
        }
    }

    /// <summary>A dense layer's SwiGLU MLP.</summary>
    public static Value DenseMlp(GraphBuilder g, ModelConfig c, Value normed)
    {
        using (g.Scope("mlp"))
        {
            return SwiGlu.Apply(g, normed, c.Hidden, c.DenseFfn, c.InitStd);
        }
    }

    /// <summary>The final norm and the LM head: (B, S, H) → logits (B, S, V).</summary>
    public static Value Head(GraphBuilder g, ModelConfig c, Value x)
    {
        using (g.Scope("final_norm"))
        {
            x = RmsNorm.Apply(g, x, c.Hidden, c.NormEpsilon);
        }

        return g.MatMul(x, g.Parameter("lm_head.weight", [c.Hidden, c.PaddedVocab], Initialization.Normal, c.InitStd));
    }
}
