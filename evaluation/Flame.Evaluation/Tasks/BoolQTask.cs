namespace Flame.Evaluation.Tasks;

/// <summary>BoolQ (Clark et al., 2019; SuperGLUE): yes/no questions about a passage.</summary>
public sealed class BoolQTask : HarnessTask
{
    public override string Name => "boolq";

    public override string EvaluationSplit => "validation";

    public override IReadOnlyList<string> Metrics => ["acc"];

    public override IReadOnlyList<string> Fields => ["passage", "question", "label"];

    public override FormattedDoc Format(TaskRecord record) => new(
        record.GetString("passage") + "\nQuestion: " + record.GetString("question") + "?\nAnswer:",
        ["no", "yes"],
        record.GetInt("label"));
}
