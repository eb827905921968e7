using Flame.ModelGraphs.Config;

namespace Flame.Import.Megatron;

/// <summary>A model config read off a Megatron checkpoint, the preset it equals (if any), and what was assumed.</summary>
public sealed record InferredModel(ModelConfig Config, string? Preset, IReadOnlyList<string> Notes);

/// <summary>
/// Reads a Megatron-Core GPT checkpoint's architecture off its tensors' shapes (checked
/// against common.pt's args where it has them) and refuses, with the key or argument that
/// shows it, any checkpoint our model would compute differently: LayerNorm, biases, GQA,
/// QK-norm, learned positions, partial or interleaved RoPE, non-SwiGLU MLPs, top-k
/// renormalisation, sigmoid routing, MoE layers that are not all after the dense ones.
/// </summary>
public static class MegatronArchitecture
{
    public static InferredModel Infer(MegatronTensors tensors, MegatronArgs args, int? tokenizerVocab)
    {
        var folder = tensors.Checkpoint.Folder;
        var notes = new List<string>();
        RefuseOtherArchitectures(args, folder);
        if (!tensors.Has(MegatronNames.Embedding))
        {
            throw new InvalidDataException($"{folder}: no {MegatronNames.Embedding}, so not a Megatron-Core GPT checkpoint (it has {string.Join(", ", tensors.Checkpoint.Tensors.Keys.Take(5))}, ...)");
        }

        var embedding = tensors.Shape(MegatronNames.Embedding);
        int paddedVocab = checked((int)embedding[0]), hidden = checked((int)embedding[1]);
        var layers = tensors.Layers;
        if (layers == 0)
        {
            throw new InvalidDataException($"{folder}: no decoder.layers.* tensors");
        }

        var heads = args.Int("num_attention_heads") ?? Assumed(16, "num_attention_heads", "16, as at every FLAME-MoE size");
        if (args.Bool("group_query_attention") == true && args.Int("num_query_groups") is { } groups && groups != heads)
        {
            throw new InvalidDataException($"{folder}: common.pt args: num_query_groups {groups} ≠ num_attention_heads {heads}; grouped-query attention is another architecture than FLAME-MoE's");
        }

        if (args.Int("kv_channels") is { } kv && kv * heads != hidden)
        {
            throw new InvalidDataException($"{folder}: common.pt args: kv_channels {kv} × {heads} heads ≠ hidden {hidden}; FLAME-MoE's heads split the hidden size");
        }

        var moeLayers = Enumerable.Range(0, layers).Where(i => tensors.HasLayer(i, MegatronNames.Router)).ToList();
        var denseLayers = layers - moeLayers.Count;
        if (moeLayers.Count > 0 && moeLayers[0] != denseLayers)
        {
            throw new InvalidDataException($"{folder}: MoE layers {string.Join(", ", moeLayers)} of {layers}: our model puts the dense layers first and every later layer is MoE");
        }

        for (var i = 0; i < layers; i++)
        {
            ExpectShape(tensors, i, MegatronNames.Qkv, [3L * hidden, hidden], "grouped-query attention or another head layout is not FLAME-MoE's");
            ExpectShape(tensors, i, MegatronNames.Projection, [hidden, hidden], null);
        }

        int denseFfn = 0, expertFfn = 0, sharedFfn = 0, experts = 0;
        if (denseLayers > 0)
        {
            denseFfn = checked((int)tensors.LayerShape(0, MegatronNames.DenseFc1)[0] / 2);
            for (var i = 0; i < denseLayers; i++)
            {
                ExpectShape(tensors, i, MegatronNames.DenseFc1, [2L * denseFfn, hidden], "a SwiGLU fc1 is [2·ffn, hidden]");
                ExpectShape(tensors, i, MegatronNames.DenseFc2, [hidden, denseFfn], "a SwiGLU fc2 is [hidden, ffn]");
            }
        }

        if (moeLayers.Count > 0)
        {
            var first = moeLayers[0];
            experts = checked((int)tensors.LayerShape(first, MegatronNames.Router)[0]);
            expertFfn = checked((int)tensors.LayerShape(first, MegatronNames.Require(tensors, first, MegatronNames.ExpertFc1))[1] / 2);
            sharedFfn = tensors.HasLayer(first, MegatronNames.SharedFc1) ? checked((int)tensors.LayerShape(first, MegatronNames.SharedFc1)[0] / 2) : 0;
            foreach (var i in moeLayers)
            {
                ExpectShape(tensors, i, MegatronNames.Router, [experts, hidden], null);
                ExpectShape(tensors, i, MegatronNames.Require(tensors, i, MegatronNames.ExpertFc1), [experts, 2L * expertFfn, hidden], "experts stacked as [E, 2·ffn, hidden]");
                ExpectShape(tensors, i, MegatronNames.Require(tensors, i, MegatronNames.ExpertFc2), [experts, hidden, expertFfn], "experts stacked as [E, hidden, ffn]");
                if (sharedFfn > 0)
                {
                    ExpectShape(tensors, i, MegatronNames.SharedFc1, [2L * sharedFfn, hidden], null);
                    ExpectShape(tensors, i, MegatronNames.SharedFc2, [hidden, sharedFfn], null);
                }
            }

            if (args.Int("num_experts") is { } declared && declared != experts)
            {
                throw new InvalidDataException($"{folder}: common.pt args say num_experts {declared}, the router has {experts} rows");
            }
        }

        var topK = moeLayers.Count == 0 ? 0 : args.Int("moe_router_topk") ?? Assumed(6, "moe_router_topk", "6, FLAME-MoE's");
        var (vocab, multiple) = Vocabulary(paddedVocab, tokenizerVocab, notes);
        var config = new ModelConfig
        {
            Name = "megatron",
            Layers = layers,
            Hidden = hidden,
            Heads = heads,
            DenseFfn = denseFfn,
            ExpertFfn = expertFfn,
            SharedFfn = sharedFfn,
            Experts = experts,
            TopK = topK,
            DenseLayers = moeLayers.Count == 0 ? 0 : denseLayers,
            VocabSize = vocab,
            VocabMultiple = multiple,
            MaxSequenceLength = args.Int("max_position_embeddings") ?? args.Int("seq_length") ?? Assumed(2048, "max_position_embeddings", "2048"),
            RopeBase = args.Double("rotary_base") ?? Assumed(10_000.0, "rotary_base", "10000"),
            NormEpsilon = args.Double("norm_epsilon") ?? Assumed(1e-6, "norm_epsilon", "1e-6, FLAME-MoE's"),
            InitStd = args.Double("init_method_std") ?? 0.02,
        };
        var preset = MatchingPreset(config);
        return new InferredModel((config with { Name = preset ?? $"megatron-{layers}x{hidden}" }).Validate(), preset, notes);

        T Assumed<T>(T value, string arg, string what)
        {
            notes.Add($"{arg}: not in common.pt's args; assumed {what}");
            return value;
        }
    }

    /// <summary>The preset with the same architecture (sizes, experts, routing, vocabulary), if any.</summary>
    public static string? MatchingPreset(ModelConfig config) => ModelConfigs.Presets.FirstOrDefault(name =>
    {
        var preset = ModelConfigs.Load(name);
        return preset.Layers == config.Layers && preset.Hidden == config.Hidden && preset.Heads == config.Heads
            && preset.Experts == config.Experts && preset.TopK == config.TopK && preset.ExpertFfn == config.ExpertFfn
            && preset.SharedFfn == config.SharedFfn && preset.PaddedVocab == config.PaddedVocab
            && (preset.DenseLayers == config.DenseLayers || !config.IsMoe) && (preset.DenseFfn == config.DenseFfn || config.DenseLayers == 0 && config.IsMoe);
    });

    // The tokenizer's vocabulary, padded as Megatron padded it (--make-vocab-size-divisible-by 128 at TP 1).
    private static (int Vocab, int Multiple) Vocabulary(int padded, int? tokenizerVocab, List<string> notes)
    {
        if (tokenizerVocab is not { } vocab)
        {
            notes.Add($"vocab_size: no --tokenizer; the {padded} embedding rows are taken as the vocabulary");
            return (padded, 1);
        }

        if (vocab > padded)
        {
            throw new InvalidDataException($"the tokenizer has {vocab} tokens, the checkpoint's embedding only {padded} rows: they do not belong together");
        }

        if ((vocab + 127) / 128 * 128 == padded)
        {
            return (vocab, 128);
        }

        notes.Add($"vocab_size: the tokenizer's {vocab} tokens padded to a multiple of 128 are not the {padded} rows; the rows are kept as they are");
        return (padded, 1);
    }

    private static void ExpectShape(MegatronTensors tensors, int layer, string name, long[] expected, string? why)
    {
        if (!tensors.HasLayer(layer, name))
        {
            throw new InvalidDataException($"{tensors.Checkpoint.Folder}: decoder.layers.{layer}.{name} is missing");
        }

        var shape = tensors.LayerShape(layer, name);
        if (!shape.SequenceEqual(expected))
        {
            throw new InvalidDataException($"{tensors.Checkpoint.Folder}: decoder.layers.{layer}.{name} is [{string.Join(", ", shape)}], expected [{string.Join(", ", expected)}]{(why is null ? "" : $" ({why})")}");
        }
    }

    private static void RefuseOtherArchitectures(MegatronArgs args, string folder)
    {
        void Refuse(bool differs, string arg, string what)
        {
            if (differs)
            {
                throw new InvalidDataException($"{folder}: common.pt args: {arg} = {args[arg]}; {what}, which FLAME-MoE's model is not");
            }
        }

        Refuse(args.String("normalization") is { } norm && norm != "RMSNorm", "normalization", "another norm than RMSNorm");
        Refuse(args.String("position_embedding_type") is { } position && position != "rope", "position_embedding_type", "positions other than RoPE");
        Refuse(args.Double("rotary_percent") is { } percent && percent != 1.0, "rotary_percent", "RoPE on part of the head");
        Refuse(args.Bool("rotary_interleaved") == true, "rotary_interleaved", "interleaved RoPE");
        Refuse(args.Bool("swiglu") == false, "swiglu", "an MLP without SwiGLU");
        Refuse(args.Bool("add_bias_linear") == true, "add_bias_linear", "linear layers with biases");
        Refuse(args.Bool("add_qkv_bias") == true, "add_qkv_bias", "attention with biases");
        Refuse(args.Bool("qk_layernorm") == true, "qk_layernorm", "QK-normalised attention");
        Refuse(args.Int("num_experts") is > 0 && args.Int("moe_router_topk") is > 1 && args.Bool("moe_router_pre_softmax") == false, "moe_router_pre_softmax",
            "softmax over the top-k only (renormalised combine weights)");
        Refuse(args.String("moe_router_score_function") is { } score && score != "softmax", "moe_router_score_function", "a router score other than softmax");
        Refuse(args.Double("moe_router_topk_scaling_factor") is { } scale && scale != 1.0, "moe_router_topk_scaling_factor", "scaled combine weights");
        Refuse(args.Bool("moe_router_enable_expert_bias") == true, "moe_router_enable_expert_bias", "routing with expert biases");
    }
}
