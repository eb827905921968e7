namespace Flame.Training.Loop;

/// <summary>What one optimizer step measured (losses averaged over its micro-batches).</summary>
public sealed record StepReport(
    long Step,
    long TotalSteps,
    long Tokens,
    double Loss,
    double LanguageModelLoss,
    double LoadBalancingLoss,
    double ZLoss,
    double GradNorm,
    double LearningRate,
    double TokensPerSecond,
    double MillisecondsPerStep,
    IReadOnlyList<ExpertLoad> ExpertLoads,
    double? ValidationLoss);

/// <summary>
/// One MoE layer's expert load in a step: the largest expert's share over the mean share
/// (1 = perfectly balanced, E = one expert takes everything) and the entropy of the shares
/// divided by log E (1 = balanced, 0 = one expert).
/// </summary>
public sealed record ExpertLoad(int Layer, double MaxOverMean, double NormalizedEntropy)
{
    public static ExpertLoad Of(int layer, ReadOnlySpan<float> shares)
    {
        double max = 0, entropy = 0;
        foreach (var share in shares)
        {
            max = Math.Max(max, share);
            entropy -= share > 0 ? share * Math.Log(share) : 0;
        }

        return new ExpertLoad(layer, max * shares.Length, shares.Length > 1 ? entropy / Math.Log(shares.Length) : 1);
    }
}
