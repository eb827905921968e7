using System.Text.Json.Serialization;

namespace Flame.ModelGraphs.Config;

/// <summary>
/// Every architectural choice of a FLAME-MoE model (or its dense baseline). Field names are
/// the JSON keys of model-graphs/configs/*.json and the names of --set overrides.
/// </summary>
public sealed record ModelConfig
{
    /// <summary>Preset name (flame-moe-38m, dense-411m, tiny-moe, ...).</summary>
    [JsonPropertyName("name")] public string Name { get; init; } = "custom";

    /// <summary>Decoder layers.</summary>
    [JsonPropertyName("layers")] public int Layers { get; init; }

    /// <summary>Model width (the residual stream).</summary>
    [JsonPropertyName("hidden")] public int Hidden { get; init; }

    /// <summary>Attention heads (16 at every FLAME-MoE size); hidden must divide into them.</summary>
    [JsonPropertyName("heads")] public int Heads { get; init; }

    /// <summary>SwiGLU width of dense MLP layers (the first layer of an MoE model, every layer of a dense one).</summary>
    [JsonPropertyName("dense_ffn")] public int DenseFfn { get; init; }

    /// <summary>SwiGLU width of each routed expert.</summary>
    [JsonPropertyName("expert_ffn")] public int ExpertFfn { get; init; }

    /// <summary>SwiGLU width of the one shared expert (2 × expert FFN in FLAME-MoE); 0 for none.</summary>
    [JsonPropertyName("shared_ffn")] public int SharedFfn { get; init; }

    /// <summary>Routed experts per MoE layer (64); 0 makes a dense model.</summary>
    [JsonPropertyName("experts")] public int Experts { get; init; }

    /// <summary>Experts each token is routed to (6).</summary>
    [JsonPropertyName("top_k")] public int TopK { get; init; }

    /// <summary>Leading layers with a dense MLP instead of an MoE layer (1 in FLAME-MoE).</summary>
    [JsonPropertyName("dense_layers")] public int DenseLayers { get; init; } = 1;

    /// <summary>Tokenizer vocabulary (GPT-NeoX/Pythia: 50,277).</summary>
    [JsonPropertyName("vocab_size")] public int VocabSize { get; init; } = 50_277;

    /// <summary>The embedding is padded to a multiple of this (128: 50,277 → 50,304).</summary>
    [JsonPropertyName("vocab_multiple")] public int VocabMultiple { get; init; } = 128;

    /// <summary>Longest sequence (RoPE tables and the causal mask are built this long).</summary>
    [JsonPropertyName("max_seq_len")] public int MaxSequenceLength { get; init; } = 2048;

    /// <summary>RoPE base θ (10,000), applied to the whole head dimension, rotate-half layout.</summary>
    [JsonPropertyName("rope_base")] public double RopeBase { get; init; } = 10_000;

    /// <summary>RMSNorm ε (1e-6).</summary>
    [JsonPropertyName("norm_eps")] public double NormEpsilon { get; init; } = 1e-6;

    /// <summary>Standard deviation of the normal initialisation of every matrix (0.02).</summary>
    [JsonPropertyName("init_std")] public double InitStd { get; init; } = 0.02;

    /// <summary>Null: dropless routing (FLAME-MoE). A number: each expert takes at most capacity_factor × T × k / E tokens and the rest are dropped.</summary>
    [JsonPropertyName("capacity_factor")] public double? CapacityFactor { get; init; }

    /// <summary>How tokens reach experts: "sorted" (token-slots sorted by expert into a padded [E, C, H] batch, one batched MatMul) or "gather" (one gather/scatter per expert). Both are dropless; docs/operators.md compares them.</summary>
    [JsonPropertyName("dispatch")] public string Dispatch { get; init; } = DispatchSorted;

    public const string DispatchSorted = "sorted";
    public const string DispatchGather = "gather";

    [JsonIgnore] public bool IsMoe => Experts > 0;

    [JsonIgnore] public int HeadDim => Heads > 0 ? Hidden / Heads : 0;

    /// <summary>The embedding rows: the vocabulary rounded up to <see cref="VocabMultiple"/>.</summary>
    [JsonIgnore] public int PaddedVocab => VocabMultiple > 0 ? (VocabSize + VocabMultiple - 1) / VocabMultiple * VocabMultiple : VocabSize;

    /// <summary>Whether layer <paramref name="layer"/> (0-based) has an MoE layer rather than a dense MLP.</summary>
    public bool IsMoeLayer(int layer) => IsMoe && layer >= DenseLayers;

    /// <summary>All problems at once, each naming its field; empty when the config is valid.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        void Positive(string field, double value)
        {
            if (!(value > 0))
            {
                problems.Add($"{field} must be positive (got {value})");
            }
        }

        Positive("layers", Layers);
        Positive("hidden", Hidden);
        Positive("heads", Heads);
        Positive("vocab_size", VocabSize);
        Positive("max_seq_len", MaxSequenceLength);
        Positive("rope_base", RopeBase);
        Positive("norm_eps", NormEpsilon);
        Positive("init_std", InitStd);
        if (Heads > 0 && Hidden % Heads != 0)
        {
            problems.Add($"heads ({Heads}) must divide hidden ({Hidden})");
        }

        if (Heads > 0 && Hidden % Heads == 0 && HeadDim % 2 != 0)
        {
            problems.Add($"the head dimension hidden/heads = {HeadDim} must be even for rotate-half RoPE");
        }

        if (VocabMultiple <= 0)
        {
            problems.Add($"vocab_multiple must be positive (got {VocabMultiple})");
        }

        if (!IsMoe || DenseLayers > 0)
        {
            Positive("dense_ffn", DenseFfn);
        }

        if (Experts < 0)
        {
            problems.Add($"experts must be 0 (dense) or positive (got {Experts})");
        }

        if (IsMoe)
        {
            Positive("expert_ffn", ExpertFfn);
            Positive("top_k", TopK);
            if (TopK > Experts)
            {
                problems.Add($"top_k ({TopK}) cannot exceed experts ({Experts})");
            }

            if (DenseLayers < 0 || DenseLayers >= Layers)
            {
                problems.Add($"dense_layers ({DenseLayers}) must leave at least one MoE layer among {Layers} layers");
            }

            if (SharedFfn < 0)
            {
                problems.Add($"shared_ffn must be 0 (no shared expert) or positive (got {SharedFfn})");
            }

            if (CapacityFactor is { } factor && !(factor > 0))
            {
                problems.Add($"capacity_factor must be positive, or null for dropless routing (got {factor})");
            }

            if (Dispatch is not (DispatchSorted or DispatchGather))
            {
                problems.Add($"dispatch must be \"{DispatchSorted}\" or \"{DispatchGather}\" (got \"{Dispatch}\")");
            }
            else if (CapacityFactor is not null && Dispatch != DispatchGather)
            {
                problems.Add("capacity_factor needs dispatch \"gather\" (the sorted dispatch is dropless only)");
            }
        }

        return problems;
    }

    /// <exception cref="ArgumentException">the config is invalid; the message lists every problem with its field.</exception>
    public ModelConfig Validate()
    {
        var problems = Problems();
        return problems.Count == 0 ? this : throw new ArgumentException($"invalid model config '{Name}': " + string.Join("; ", problems));
    }
}
