namespace Flame.Analysis.Routing;

/// <summary>
/// Load balance of one MoE layer: the fraction of routed token-slots each expert receives,
/// f_i = (tokens routed to i) / (T * k), as in the load-balancing loss. A perfectly balanced
/// layer has f_i = 1/E, entropy log E and max/mean 1.
/// </summary>
public sealed class ExpertLoad
{
    private readonly long[] _slots;
    private long _tokens;
    private int _topK;

    public ExpertLoad(int experts) => _slots = new long[experts];

    public int Experts => _slots.Length;

    public long Tokens => _tokens;

    public void Accept(RoutingChunk chunk)
    {
        _topK = chunk.TopK;
        foreach (var expert in chunk.ExpertIndices)
        {
            _slots[RoutingGuards.CheckExpert(expert, Experts)]++;
        }

        _tokens += chunk.TokenCount;
    }

    /// <summary>f_i for every expert; sums to 1.</summary>
    public double[] Fractions()
    {
        var total = (double)_tokens * _topK;
        return _slots.Select(s => total == 0 ? 0 : s / total).ToArray();
    }

    /// <summary>Shannon entropy (nats) of the load distribution; log E when balanced.</summary>
    public double Entropy() => -Fractions().Where(f => f > 0).Sum(f => f * Math.Log(f));

    /// <summary>The busiest expert's load over the mean load; 1 when balanced, E when one expert takes everything.</summary>
    public double MaxOverMean()
    {
        var fractions = Fractions();
        var mean = fractions.Average();
        return mean == 0 ? 0 : fractions.Max() / mean;
    }
}
