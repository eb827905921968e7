namespace Flame.Analysis.Routing;

/// <summary>
/// Expert specialization in one MoE layer at one checkpoint (FLAME-MoE's definition):
/// score(e, v) = (occurrences of token v whose top-k contains e) / (occurrences of v).
/// Only tokens seen at least <see cref="MinimumOccurrences"/> times are ranked, so a token
/// seen once cannot look perfectly specialised.
/// </summary>
public sealed class ExpertSpecialization
{
    /// <summary>FLAME-MoE ranks tokens with at least 5 occurrences.</summary>
    public const int MinimumOccurrences = 5;

    private readonly long[] _occurrences;
    private readonly long[,] _routed; // [expert, token]

    public ExpertSpecialization(int experts, int vocabulary)
    {
        _occurrences = new long[vocabulary];
        _routed = new long[experts, vocabulary];
    }

    public int Experts => _routed.GetLength(0);

    public int Vocabulary => _occurrences.Length;

    public void Accept(RoutingChunk chunk)
    {
        for (var row = 0; row < chunk.TokenCount; row++)
        {
            var token = RoutingGuards.CheckToken(chunk.TokenIds[row], Vocabulary);
            _occurrences[token]++;
            foreach (var expert in chunk.ExpertsOf(row))
            {
                _routed[RoutingGuards.CheckExpert(expert, Experts), token]++;
            }
        }
    }

    /// <summary>How often token <paramref name="token"/> occurred.</summary>
    public long Occurrences(int token) => _occurrences[token];

    /// <summary>score(e, v); 0 for a token never seen.</summary>
    public double Score(int expert, int token) =>
        _occurrences[token] == 0 ? 0 : (double)_routed[expert, token] / _occurrences[token];

    /// <summary>The tokens expert <paramref name="expert"/> prefers: highest score first (ties: more occurrences, then lower id); tokens it never received are not preferences.</summary>
    public IReadOnlyList<TokenScore> TopTokens(int expert, int count)
    {
        return Enumerable.Range(0, Vocabulary)
            .Where(v => _occurrences[v] >= MinimumOccurrences)
            .Select(v => new TokenScore(v, Score(expert, v), _occurrences[v]))
            .Where(t => t.Score > 0)
            .OrderByDescending(t => t.Score)
            .ThenByDescending(t => t.Occurrences)
            .ThenBy(t => t.TokenId)
            .Take(count)
            .ToList();
    }
}

/// <summary>A token, its specialization score for one expert, and how often it occurred.</summary>
public sealed record TokenScore(int TokenId, double Score, long Occurrences);
