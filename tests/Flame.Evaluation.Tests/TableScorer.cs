using Flame.Evaluation.Scoring;

namespace Flame.Evaluation.Tests;

/// <summary>A scorer whose answers the test chooses: log-likelihood by continuation text, and which continuations are greedy.</summary>
internal sealed class TableScorer(Func<LogLikelihoodRequest, double> logLikelihood, Func<LogLikelihoodRequest, bool>? greedy = null) : ILogLikelihoodScorer
{
    public List<LogLikelihoodRequest> Seen { get; } = [];

    public IReadOnlyList<LogLikelihoodResult> Score(IReadOnlyList<LogLikelihoodRequest> requests, IProgress<int>? progress = null)
    {
        Seen.AddRange(requests);
        return requests.Select(r => new LogLikelihoodResult(logLikelihood(r), greedy?.Invoke(r) ?? false)).ToList();
    }
}
