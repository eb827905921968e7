namespace Flame.Autodiff;

/// <summary>An output of the forward graph and how many gradients flow back into it (one per consumer; they are summed).</summary>
public sealed record SeededOutput(string Name, int Seeds = 1)
{
    public string Seed(int k) => $"{Name}.grad.{k}";
}
