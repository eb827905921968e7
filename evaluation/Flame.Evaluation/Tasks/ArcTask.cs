namespace Flame.Evaluation.Tasks;

/// <summary>AI2 Reasoning Challenge (Clark et al., 2018), Easy or Challenge set. FLAME-MoE: 10-shot.</summary>
public sealed class ArcTask(bool challenge) : HarnessTask
{
    public override string Name => challenge ? "arc_challenge" : "arc_easy";

    public override string EvaluationSplit => "test";

    /// <summary>The harness's YAML has test_split: test and no fewshot_split.</summary>
    public override bool FewShotSplitIsTestSplit => false;

    public override HarnessConfig Config => new("allenai/ai2_arc", challenge ? "ARC-Challenge" : "ARC-Easy", "train", "validation", "test", "multiple_choice", 1.0);

    public override int DefaultShots => 10;

    public override IReadOnlyList<string> Fields => ["question", "choices.text", "choices.label", "answerKey"];

    public override FormattedDoc Format(TaskRecord record) =>
        ChoiceListFormat.Format(record, "Question: " + record.GetString("question") + "\nAnswer:", record.GetString("answerKey"));
}

/// <summary>Shared by ARC and OpenBookQA: choices as {"text": [...], "label": [...]}, gold = index of the answer key among the labels.</summary>
internal static class ChoiceListFormat
{
    public static FormattedDoc Format(TaskRecord record, string text, string answerKey)
    {
        var choices = record.GetObject("choices");
        var texts = choices.GetStrings("text");
        var labels = choices.GetStrings("label");
        var gold = labels.ToList().IndexOf(answerKey);
        if (gold < 0 || labels.Count != texts.Count)
        {
            throw record.Malformed("answerKey", $"'{answerKey}' is not one of the choice labels [{string.Join(", ", labels)}]");
        }

        return new FormattedDoc(text, texts, gold);
    }
}
