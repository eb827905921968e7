namespace Flame.Evaluation.Tasks;

/// <summary>SciQ (Welbl et al., 2017): science questions with a supporting paragraph; the correct answer is listed last.</summary>
public sealed class SciQTask : HarnessTask
{
    public override string Name => "sciq";

    public override string EvaluationSplit => "test";

    /// <summary>The harness's YAML has test_split: test and no fewshot_split.</summary>
    public override bool FewShotSplitIsTestSplit => false;

    public override HarnessConfig Config => new("sciq", null, "train", "validation", "test", "multiple_choice", 1.0);

    public override IReadOnlyList<string> Fields => ["support", "question", "distractor1", "distractor2", "distractor3", "correct_answer"];

    public override FormattedDoc Format(TaskRecord record) => new(
        record.GetString("support").TrimStart() + "\nQuestion: " + record.GetString("question") + "\nAnswer:",
        [record.GetString("distractor1"), record.GetString("distractor2"), record.GetString("distractor3"), record.GetString("correct_answer")],
        3);
}
