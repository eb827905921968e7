namespace Flame.Evaluation.Tasks;

/// <summary>
/// LAMBADA (Paperno et al., 2016), OpenAI's version: predict the last word of a passage.
/// Reports perplexity of the last word and accuracy (the greedy continuation is exactly it).
/// </summary>
public sealed class LambadaTask : HarnessTask
{
    public override string Name => "lambada_openai";

    public override string EvaluationSplit => "test";

    /// <summary>The harness's YAML has test_split: test and no fewshot_split.</summary>
    public override bool FewShotSplitIsTestSplit => false;

    public override HarnessConfig Config => new("EleutherAI/lambada_openai", "default", null, null, "test", "loglikelihood", 1.0);

    public override string FewShotSplit => "test";

    public override TaskKind Kind => TaskKind.LastWord;

    public override IReadOnlyList<string> Metrics => ["perplexity", "acc"];

    public override string TargetDelimiter => "";

    public override IReadOnlyList<string> Fields => ["text"];

    public override FormattedDoc Format(TaskRecord record)
    {
        var text = record.GetString("text");
        var lastSpace = text.LastIndexOf(' ');
        if (lastSpace < 0)
        {
            throw record.Malformed("text", "has a single word; LAMBADA needs a context before the last word");
        }

        return new FormattedDoc(text[..lastSpace], [" " + text[(lastSpace + 1)..]], 0);
    }
}
