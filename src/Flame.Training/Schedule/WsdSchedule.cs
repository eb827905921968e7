namespace Flame.Training.Schedule;

/// <summary>
/// FLAME-MoE's warmup-stable-decay learning-rate schedule, step-numbered as Megatron-LM's
/// OptimizerParamScheduler (the first optimizer step is step 1):
/// <list type="bullet">
/// <item>warmup: lr = max * step / warmupSteps for step &lt;= warmupSteps (1% of training);</item>
/// <item>stable: lr = max;</item>
/// <item>decay over the last decaySteps (10%): lr = min + (2 * 0.5^r - 1) * (max - min), r = (step - decayStart) / decaySteps going 0 → 1.</item>
/// </list>
/// </summary>
public sealed record WsdSchedule
{
    public WsdSchedule(long totalSteps, double maxLearningRate = 3e-4, double minLearningRate = 3e-5,
        double warmupFraction = 0.01, double decayFraction = 0.10)
    {
        var errors = new List<string>();
        if (totalSteps <= 0) errors.Add($"total steps must be positive (got {totalSteps})");
        if (!(maxLearningRate > 0)) errors.Add($"the maximum learning rate must be positive (got {maxLearningRate})");
        if (!(minLearningRate >= 0 && minLearningRate <= maxLearningRate)) errors.Add($"the minimum learning rate must lie in [0, max] (got {minLearningRate})");
        if (!(warmupFraction >= 0 && decayFraction >= 0 && warmupFraction + decayFraction <= 1))
        {
            errors.Add($"warmup ({warmupFraction}) and decay ({decayFraction}) fractions must be >= 0 and sum to at most 1");
        }

        if (errors.Count > 0)
        {
            throw new ArgumentException("invalid learning-rate schedule: " + string.Join("; ", errors));
        }

        TotalSteps = totalSteps;
        MaxLearningRate = maxLearningRate;
        MinLearningRate = minLearningRate;
        WarmupSteps = (long)Math.Round(warmupFraction * totalSteps);
        DecaySteps = (long)Math.Round(decayFraction * totalSteps);
    }

    public long TotalSteps { get; }

    public double MaxLearningRate { get; }

    public double MinLearningRate { get; }

    public long WarmupSteps { get; }

    public long DecaySteps { get; }

    /// <summary>The last step of the stable phase.</summary>
    public long DecayStart => TotalSteps - DecaySteps;

    /// <summary>The learning rate of optimizer step <paramref name="step"/> (1-based).</summary>
    public double LearningRate(long step)
    {
        if (step < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(step), step, "optimizer steps are numbered from 1");
        }

        if (WarmupSteps > 0 && step <= WarmupSteps)
        {
            return MaxLearningRate * step / WarmupSteps;
        }

        if (DecaySteps == 0 || step <= DecayStart)
        {
            return MaxLearningRate;
        }

        var r = Math.Min(1.0, (double)(step - DecayStart) / DecaySteps);
        return MinLearningRate + (2 * Math.Pow(0.5, r) - 1) * (MaxLearningRate - MinLearningRate);
    }
}
