namespace Flame.Evaluation.Scoring;

/// <summary>A metric's value with its standard error, as the harness reports them.</summary>
public sealed record MetricValue(double Value, double StandardError)
{
    /// <summary>Mean of per-document values and the standard error of that mean (sample std, n - 1, over sqrt n), as the harness's mean_stderr.</summary>
    public static MetricValue MeanOf(IReadOnlyList<double> values)
    {
        if (values.Count == 0)
        {
            return new MetricValue(double.NaN, double.NaN);
        }

        var mean = values.Average();
        if (values.Count == 1)
        {
            return new MetricValue(mean, double.NaN);
        }

        var variance = values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1);
        return new MetricValue(mean, Math.Sqrt(variance / values.Count));
    }
}
