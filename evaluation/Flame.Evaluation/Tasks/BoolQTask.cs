namespace Flame.Evaluation.Tasks;

/// <summary>BoolQ (Clark et al., 2019; SuperGLUE): yes/no questions about a passage.</summary>
public sealed class BoolQTask : HarnessTask
{
    public override string Name => "boolq";

    public override string EvaluationSplit => "validation";

    /// <summary>No test_split in the harness's YAML: fewshot_split (absent) == test_split (absent).</summary>
    public override bool FewShotSplitIsTestSplit => true;

    public override HarnessConfig Config => new("super_glue", "boolq", "train", "validation", null, "multiple_choice", 2.0);

    public override IReadOnlyList<string> Metrics => ["acc"];

    public override IReadOnlyList<string> Fields => ["passage", "question", "label"];

    public override FormattedDoc Format(TaskRecord record) => new(
        record.GetString("passage") + "\nQuestion: " + record.GetString("question") + "?\nAnswer:",
        ["no", "yes"],
        record.GetInt("label"));
}
