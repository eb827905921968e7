namespace Flame.Import.Megatron;

/// <summary>
/// Megatron-Core's names for the pieces of a GPT layer, relative to decoder.layers.N., with the
/// Transformer Engine spec's name first and the local (non-TE) spec's after it
/// (megatron/core/models/gpt/gpt_layer_specs.py; SequentialMLP's experts in
/// megatron/core/transformer/moe/experts.py, sharded under "experts.").
/// </summary>
public static class MegatronNames
{
    public const string Embedding = "embedding.word_embeddings.weight";
    public const string FinalNorm = "decoder.final_layernorm.weight";
    public const string Output = "output_layer.weight";

    public static readonly string[] AttentionNorm = ["self_attention.linear_qkv.layer_norm_weight", "input_layernorm.weight"];
    public const string Qkv = "self_attention.linear_qkv.weight";
    public const string Projection = "self_attention.linear_proj.weight";

    /// <summary>A dense layer's MLP norm: fused into fc1 by TE, separate in the local spec.</summary>
    public static readonly string[] DenseMlpNorm = ["mlp.linear_fc1.layer_norm_weight", "pre_mlp_layernorm.weight"];
    public const string DenseFc1 = "mlp.linear_fc1.weight";
    public const string DenseFc2 = "mlp.linear_fc2.weight";

    public static readonly string[] MoeNorm = ["pre_mlp_layernorm.weight"];
    public const string Router = "mlp.router.weight";

    /// <summary>
    /// Stacked by expert: [E, 2F, H] and [E, H, F]. SequentialMLP, GroupedMLP and TEGroupedMLP all save
    /// these keys (experts.py of core_r0.8.0 to core_r0.11.0), so grouped-GEMM checkpoints read the same.
    /// </summary>
    public static readonly string[] ExpertFc1 = ["mlp.experts.experts.linear_fc1.weight"];
    public static readonly string[] ExpertFc2 = ["mlp.experts.experts.linear_fc2.weight"];
    public const string SharedFc1 = "mlp.shared_experts.linear_fc1.weight";
    public const string SharedFc2 = "mlp.shared_experts.linear_fc2.weight";

    /// <summary>The first of <paramref name="candidates"/> layer <paramref name="layer"/> has, or null.</summary>
    public static string? Find(MegatronTensors tensors, int layer, IEnumerable<string> candidates) =>
        candidates.FirstOrDefault(name => tensors.HasLayer(layer, name));

    /// <summary>As <see cref="Find"/>, but a missing tensor is an error naming what was looked for.</summary>
    public static string Require(MegatronTensors tensors, int layer, IReadOnlyList<string> candidates) =>
        Find(tensors, layer, candidates) ?? throw new InvalidDataException(
            $"{tensors.Checkpoint.Folder}: layer {layer} has no {string.Join(" or ", candidates.Select(c => $"decoder.layers.{layer}.{c}"))}");
}
