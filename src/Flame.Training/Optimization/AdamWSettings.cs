namespace Flame.Training.Optimization;

/// <summary>AdamW with global-norm clipping, FLAME-MoE's recipe by default (Megatron: Adam with decoupled weight decay).</summary>
public sealed record AdamWSettings
{
    public double Beta1 { get; init; } = 0.9;

    public double Beta2 { get; init; } = 0.999;

    public double Epsilon { get; init; } = 1e-8;

    /// <summary>Decoupled weight decay, applied to matrices only (rank ≥ 2), never to norm weights.</summary>
    public double WeightDecay { get; init; } = 0.01;

    /// <summary>Gradients are scaled so their global L2 norm is at most this; 0 turns clipping off.</summary>
    public double MaxGradNorm { get; init; } = 1.0;
}

/// <summary>A trainable tensor: its name (the same in every graph and checkpoint) and shape.</summary>
public sealed record Parameter(string Name, long[] Shape)
{
    /// <summary>Matrices and embeddings decay; vectors (norm weights) do not.</summary>
    public bool Decays => Shape.Length >= 2;

    public string Gradient => Name + ".grad";

    public string FirstMoment => Name + ".exp_avg";

    public string SecondMoment => Name + ".exp_avg_sq";

    /// <summary>The name a graph output gets for the updated value of <paramref name="input"/>.</summary>
    public static string Updated(string input) => input + ".updated";
}
