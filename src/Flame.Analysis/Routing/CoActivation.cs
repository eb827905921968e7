namespace Flame.Analysis.Routing;

/// <summary>
/// Co-activation of experts in one MoE layer (FLAME-MoE's definition):
/// C[i][j] = (tokens whose top-k contains both i and j) / (tokens whose top-k contains i),
/// with C[i][i] = 0. Rows are conditional on i, so C is not symmetric.
/// </summary>
public sealed class CoActivation
{
    private readonly long[,] _both;
    private readonly long[] _single;

    public CoActivation(int experts)
    {
        _both = new long[experts, experts];
        _single = new long[experts];
    }

    public int Experts => _single.Length;

    public void Accept(RoutingChunk chunk)
    {
        for (var row = 0; row < chunk.TokenCount; row++)
        {
            var experts = chunk.ExpertsOf(row);
            foreach (var i in experts)
            {
                _single[RoutingGuards.CheckExpert(i, Experts)]++;
                foreach (var j in experts)
                {
                    if (i != j)
                    {
                        _both[i, j]++;
                    }
                }
            }
        }
    }

    /// <summary>The matrix C, E x E, rows of never-used experts all zero.</summary>
    public double[,] Matrix()
    {
        var c = new double[Experts, Experts];
        for (var i = 0; i < Experts; i++)
        {
            for (var j = 0; j < Experts; j++)
            {
                c[i, j] = _single[i] == 0 ? 0 : (double)_both[i, j] / _single[i];
            }
        }

        return c;
    }

    /// <summary>The experts with the largest row maxima, as FLAME-MoE shows them (16 by default), strongest first.</summary>
    public int[] StrongestExperts(int count = 16)
    {
        var c = Matrix();
        return Enumerable.Range(0, Experts)
            .OrderByDescending(i => Enumerable.Range(0, Experts).Max(j => c[i, j]))
            .ThenBy(i => i)
            .Take(count)
            .ToArray();
    }

    /// <summary>Fraction of off-diagonal entries above <paramref name="threshold"/>: how sparse co-activation is.</summary>
    public double DensityAbove(double threshold)
    {
        var c = Matrix();
        var above = 0;
        for (var i = 0; i < Experts; i++)
        {
            for (var j = 0; j < Experts; j++)
            {
                if (i != j && c[i, j] > threshold)
                {
                    above++;
                }
            }
        }

        return Experts < 2 ? 0 : (double)above / (Experts * (Experts - 1));
    }
}
