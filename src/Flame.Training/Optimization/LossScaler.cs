namespace Flame.Training.Optimization;

/// <summary>
/// Dynamic loss scaling for fp16 training (as torch's GradScaler and Megatron's
/// DynamicGradScaler): the loss is multiplied by the scale so small gradients survive fp16;
/// a step whose gradients overflow is skipped (the optimizer graph leaves everything as it
/// was) and the scale halves; after <see cref="GrowthInterval"/> good steps in a row it doubles.
/// A fixed scaler (fp32, bf16) keeps scale 1.
/// </summary>
public sealed class LossScaler
{
    public const double DefaultInitialScale = 65536;
    public const int DefaultGrowthInterval = 2000;
    private const double MinimumScale = 1;

    private LossScaler(bool dynamic, double scale, int goodSteps, int growthInterval)
    {
        IsDynamic = dynamic;
        Scale = scale;
        GoodSteps = goodSteps;
        GrowthInterval = growthInterval;
    }

    public static LossScaler Fixed { get; } = new(false, 1, 0, DefaultGrowthInterval);

    public static LossScaler Dynamic(double scale = DefaultInitialScale, int goodSteps = 0, int growthInterval = DefaultGrowthInterval) =>
        new(true, scale, goodSteps, growthInterval);

    public bool IsDynamic { get; }

    public double Scale { get; private set; }

    /// <summary>Steps since the scale last changed (checkpointed, so a resumed run scales as the uninterrupted one).</summary>
    public int GoodSteps { get; private set; }

    public int GrowthInterval { get; }

    /// <summary>Records whether the step's gradients were finite; returns false when the step was skipped.</summary>
    public bool Update(bool finite)
    {
        if (!IsDynamic)
        {
            return finite;
        }

        if (!finite)
        {
            Scale = Math.Max(MinimumScale, Scale / 2);
            GoodSteps = 0;
            return false;
        }

        if (++GoodSteps >= GrowthInterval)
        {
            Scale *= 2;
            GoodSteps = 0;
        }

        return true;
    }
}
