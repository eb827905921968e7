namespace Flame.Evaluation.Tasks;

/// <summary>
/// WinoGrande (Sakaguchi et al., 2019), winogrande_xl, scored partially as the harness does:
/// each option fills the blank to form a context, and the model scores the rest of the
/// sentence after it. FLAME-MoE: 0-shot.
/// </summary>
public sealed class WinoGrandeTask : HarnessTask
{
    public override string Name => "winogrande";

    public override string EvaluationSplit => "validation";

    /// <summary>No test_split in the harness's YAML: fewshot_split (absent) == test_split (absent).</summary>
    public override bool FewShotSplitIsTestSplit => true;

    public override HarnessConfig Config => new("winogrande", "winogrande_xl", "train", "validation", null, "multiple_choice", 1.0);

    public override IReadOnlyList<string> Metrics => ["acc"];

    public override IReadOnlyList<string> Fields => ["sentence", "option1", "option2", "answer"];

    public override FormattedDoc Format(TaskRecord record)
    {
        var sentence = record.GetString("sentence");
        var blank = sentence.IndexOf('_', StringComparison.Ordinal);
        if (blank < 0)
        {
            throw record.Malformed("sentence", "has no blank '_' to fill");
        }

        var answer = record.GetString("answer");
        var gold = answer switch
        {
            "1" => 0,
            "2" => 1,
            _ => throw record.Malformed("answer", $"expected \"1\" or \"2\", found \"{answer}\""),
        };
        var prefix = sentence[..blank];
        return new FormattedDoc("", [prefix + record.GetString("option1"), prefix + record.GetString("option2")], gold)
        {
            SharedContinuation = sentence[(blank + 1)..].Trim(),
        };
    }
}
