using System.Text.RegularExpressions;

namespace Flame.Evaluation.Tasks;

/// <summary>HellaSwag (Zellers et al., 2019): pick the ending of an activity description. FLAME-MoE: 10-shot.</summary>
public sealed partial class HellaSwagTask : HarnessTask
{
    public override string Name => "hellaswag";

    public override string EvaluationSplit => "validation";

    /// <summary>No test_split in the harness's YAML: fewshot_split (absent) == test_split (absent).</summary>
    public override bool FewShotSplitIsTestSplit => true;

    public override HarnessConfig Config => new("hellaswag", null, "train", "validation", null, "multiple_choice", 1.0);

    public override int DefaultShots => 10;

    public override IReadOnlyList<string> Fields => ["activity_label", "ctx_a", "ctx_b", "endings", "label"];

    public override FormattedDoc Format(TaskRecord record)
    {
        var context = record.GetString("ctx_a") + " " + Capitalize(record.GetString("ctx_b"));
        var endings = record.GetStrings("endings");
        return new FormattedDoc(
            Preprocess(record.GetString("activity_label") + ": " + context),
            endings.Select(Preprocess).ToList(),
            record.GetInt("label"));
    }

    /// <summary>The harness's cleanup of WikiHow artefacts: " [title]" becomes ". ", other [tags] go, double spaces close.</summary>
    public static string Preprocess(string text)
    {
        text = text.Trim().Replace(" [title]", ". ", StringComparison.Ordinal);
        text = BracketTag().Replace(text, "");
        return text.Replace("  ", " ", StringComparison.Ordinal);
    }

    /// <summary>Python's str.capitalize(): first character upper case, the rest lower case.</summary>
    public static string Capitalize(string text) =>
        text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..].ToLowerInvariant();

    [GeneratedRegex(@"\[.*?\]")]
    private static partial Regex BracketTag();
}
