namespace Flame.Evaluation.Scoring;

/// <summary>One task's metrics on one checkpoint.</summary>
public sealed record TaskResult(string Task, int Shots, int Documents, IReadOnlyDictionary<string, MetricValue> Metrics);
