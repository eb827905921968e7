namespace Flame.Data.Sampling;

/// <summary>
/// Several datasets blended by weight, as Megatron's BlendedDataset chooses: for sample i,
/// take the dataset whose share so far lags its target the most
/// (argmax_d weight_d · (i + 1) − drawn_d; ties to the first), which keeps every prefix of
/// the stream within one sample of the target mix. Deterministic and resumable.
/// </summary>
public sealed class BlendedSampler
{
    private readonly IReadOnlyList<GptSampler> _samplers;
    private readonly double[] _weights;
    private readonly long[] _drawn;

    public BlendedSampler(IReadOnlyList<GptSampler> samplers, IReadOnlyList<double> weights, IReadOnlyList<long>? drawn = null)
    {
        if (samplers.Count == 0 || samplers.Count != weights.Count || weights.Any(w => !(w >= 0)) || weights.Sum() <= 0)
        {
            throw new ArgumentException($"blending needs one non-negative weight per dataset, not all zero ({samplers.Count} datasets, weights [{string.Join(", ", weights)}])");
        }

        _samplers = samplers;
        _weights = weights.Select(w => w / weights.Sum()).ToArray();
        _drawn = drawn?.ToArray() ?? new long[samplers.Count];
    }

    /// <summary>Samples drawn from each dataset so far (with each sampler's cursor, this is the blend's resume state).</summary>
    public IReadOnlyList<long> Drawn => _drawn;

    public int[] Next()
    {
        var step = _drawn.Sum() + 1;
        var choice = 0;
        var lag = double.NegativeInfinity;
        for (var d = 0; d < _samplers.Count; d++)
        {
            var behind = _weights[d] * step - _drawn[d];
            if (behind > lag)
            {
                lag = behind;
                choice = d;
            }
        }

        _drawn[choice]++;
        return _samplers[choice].Next();
    }
}
