namespace Flame.Evaluation.Scoring;

/// <summary>Score the continuation given the context: log P(continuation | context) summed over its tokens.</summary>
public sealed record LogLikelihoodRequest(string Context, string Continuation);

/// <summary>The answer to a request: the summed log-likelihood, and whether greedy decoding would produce exactly the continuation.</summary>
public sealed record LogLikelihoodResult(double LogLikelihood, bool IsGreedy);

/// <summary>Anything that scores requests: the ORT forward graph of a checkpoint, or a reference model in tests.</summary>
public interface ILogLikelihoodScorer
{
    /// <summary>Results in the order of the requests.</summary>
    IReadOnlyList<LogLikelihoodResult> Score(IReadOnlyList<LogLikelihoodRequest> requests, IProgress<int>? progress = null);
}
