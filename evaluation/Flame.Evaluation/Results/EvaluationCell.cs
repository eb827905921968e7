using Flame.Evaluation.Scoring;

namespace Flame.Evaluation.Results;

/// <summary>One finished (checkpoint, task) cell of a batch evaluation.</summary>
public sealed record EvaluationCell(string Checkpoint, long Step, TaskResult Result);
