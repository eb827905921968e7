namespace Flame.ModelGraphs.Builder;

/// <summary>How a parameter starts: normal(0, std) for matrices and embeddings, ones for norm weights.</summary>
public enum Initialization
{
    Normal,
    Ones,
}

/// <summary>A trainable tensor of the model: its hierarchical name (also the checkpoint and export key), shape and initialisation.</summary>
public sealed record ParameterSpec(string Name, long[] Shape, Initialization Init, double Std)
{
    public long ElementCount => Shape.Aggregate(1L, (n, d) => n * d);
}
