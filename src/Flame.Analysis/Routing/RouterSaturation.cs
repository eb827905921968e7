namespace Flame.Analysis.Routing;

/// <summary>
/// Router saturation of one MoE layer (FLAME-MoE's definition): how much of the final
/// checkpoint's routing an earlier checkpoint t already makes,
/// sat(t, k) = mean over tokens of |topk_t ∩ topk_final| / k, with topk the first k of the
/// sorted top experts, for k in <see cref="DefaultKs"/>. Both traces must cover the same
/// tokens in the same row order.
/// </summary>
public sealed class RouterSaturation
{
    /// <summary>The k values FLAME-MoE reports.</summary>
    public static readonly int[] DefaultKs = [1, 2, 4, 6];

    private readonly int[] _ks;
    private readonly double[] _overlapSums;
    private long _tokens;

    public RouterSaturation(IReadOnlyList<int>? ks = null)
    {
        _ks = (ks ?? DefaultKs).ToArray();
        _overlapSums = new double[_ks.Length];
    }

    public IReadOnlyList<int> Ks => _ks;

    /// <summary>Adds the same token rows as traced at checkpoint t and at the final checkpoint.</summary>
    public void Accept(RoutingChunk atCheckpoint, RoutingChunk atFinal)
    {
        if (atCheckpoint.TokenCount != atFinal.TokenCount)
        {
            throw new InvalidDataException($"saturation needs aligned traces: {atCheckpoint.TokenCount} rows vs {atFinal.TokenCount} in the final checkpoint");
        }

        for (var row = 0; row < atFinal.TokenCount; row++)
        {
            if (atCheckpoint.TokenIds[row] != atFinal.TokenIds[row])
            {
                throw new InvalidDataException(
                    $"saturation needs aligned traces: row {_tokens + row} holds token {atCheckpoint.TokenIds[row]} at the checkpoint but {atFinal.TokenIds[row]} at the final one");
            }

            var early = atCheckpoint.ExpertsOf(row);
            var final = atFinal.ExpertsOf(row);
            for (var n = 0; n < _ks.Length; n++)
            {
                var k = _ks[n];
                if (k > early.Length || k > final.Length)
                {
                    throw new InvalidDataException($"saturation at k = {k} needs at least top-{k} routing; the trace has top-{Math.Min(early.Length, final.Length)}");
                }

                var shared = 0;
                foreach (var expert in early[..k])
                {
                    if (final[..k].Contains(expert))
                    {
                        shared++;
                    }
                }

                _overlapSums[n] += (double)shared / k;
            }
        }

        _tokens += atFinal.TokenCount;
    }

    /// <summary>sat(t, k) for each k of <see cref="Ks"/>, in that order.</summary>
    public double[] Values() => _overlapSums.Select(s => _tokens == 0 ? 0 : s / _tokens).ToArray();
}
