namespace Flame.Evaluation.Tasks;

/// <summary>Physical Interaction QA (Bisk et al., 2020): pick the better of two solutions. FLAME-MoE: 10-shot.</summary>
public sealed class PiqaTask : HarnessTask
{
    public override string Name => "piqa";

    public override string EvaluationSplit => "validation";

    /// <summary>No test_split in the harness's YAML: fewshot_split (absent) == test_split (absent).</summary>
    public override bool FewShotSplitIsTestSplit => true;

    public override HarnessConfig Config => new("piqa", null, "train", "validation", null, "multiple_choice", 1.0);

    public override int DefaultShots => 10;

    public override IReadOnlyList<string> Fields => ["goal", "sol1", "sol2", "label"];

    public override FormattedDoc Format(TaskRecord record) => new(
        "Question: " + record.GetString("goal") + "\nAnswer:",
        [record.GetString("sol1"), record.GetString("sol2")],
        record.GetInt("label"));
}
