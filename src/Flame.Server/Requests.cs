namespace Flame.Server;

/// <summary>POST /v1/completions.</summary>
public sealed record CompletionRequest(string Prompt, int MaxTokens = 32, double Temperature = 0, int TopK = 0, double TopP = 1,
    string[]? Stop = null, int? Seed = null, bool Stream = false, ExpertIntervention[]? Interventions = null);

/// <summary>POST /v1/route.</summary>
public sealed record RouteRequest(string Text, ExpertIntervention[]? Interventions = null);

/// <summary>One (context, continuation) pair of POST /v1/loglikelihood.</summary>
public sealed record LoglikelihoodPair(string Context, string Continuation);

/// <summary>POST /v1/loglikelihood.</summary>
public sealed record LoglikelihoodRequest(LoglikelihoodPair[] Requests, ExpertIntervention[]? Interventions = null);

public sealed record CompletionResponse(string Text, int[] Tokens, string FinishReason, int PromptTokens);

public sealed record LayerRouting(int Layer, int[] Experts, float[] Weights);

public sealed record RoutedToken(int Id, string Text, LayerRouting[] Layers);

public sealed record RouteResponse(RoutedToken[] Tokens, int Experts, int TopK);

public sealed record LoglikelihoodResult(double Logprob, bool IsGreedy, int Tokens);

public sealed record LoglikelihoodResponse(LoglikelihoodResult[] Results);

public sealed record ExpertToken(int Id, string Text, long Hits, long Occurrences, double Score);

public sealed record ExpertTokensResponse(int Layer, int Expert, string Checkpoint, ExpertToken[] Tokens);

public sealed record ErrorResponse(ErrorBody Error);

public sealed record ErrorBody(string Message, int Status);
