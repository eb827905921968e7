namespace Flame.Evaluation.Tasks;

/// <summary>OpenBookQA (Mihaylov et al., 2018), "main" configuration. FLAME-MoE: 0-shot.</summary>
public sealed class OpenBookQaTask : HarnessTask
{
    public override string Name => "openbookqa";

    public override string EvaluationSplit => "test";

    /// <summary>The harness's YAML has test_split: test and no fewshot_split.</summary>
    public override bool FewShotSplitIsTestSplit => false;

    public override HarnessConfig Config => new("openbookqa", "main", "train", "validation", "test", "multiple_choice", 1.0);

    public override IReadOnlyList<string> Fields => ["question_stem", "choices.text", "choices.label", "answerKey"];

    public override FormattedDoc Format(TaskRecord record) =>
        ChoiceListFormat.Format(record, record.GetString("question_stem"), record.GetString("answerKey").TrimStart());
}
