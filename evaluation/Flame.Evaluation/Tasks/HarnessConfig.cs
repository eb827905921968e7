namespace Flame.Evaluation.Tasks;

/// <summary>
/// The fields of a task's YAML in lm-evaluation-harness v0.4.5 (lm_eval/tasks/&lt;task&gt;/*.yaml) that
/// its results files carry under "configs" and "versions": where the data comes from, the splits,
/// the output type and the config's version. Null where the YAML leaves a field out.
/// </summary>
public sealed record HarnessConfig(string DatasetPath, string? DatasetName, string? TrainingSplit, string? ValidationSplit, string? TestSplit, string OutputType, double Version);
