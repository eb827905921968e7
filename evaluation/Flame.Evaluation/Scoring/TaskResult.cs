namespace Flame.Evaluation.Scoring;

/// <summary>One task's metrics on one checkpoint; <paramref name="FewShotSeed"/> seeded its few-shot draw (cells written before it existed read as the harness's default).</summary>
public sealed record TaskResult(string Task, int Shots, int Documents, IReadOnlyDictionary<string, MetricValue> Metrics, int FewShotSeed = PromptBuilder.HarnessSeed);
