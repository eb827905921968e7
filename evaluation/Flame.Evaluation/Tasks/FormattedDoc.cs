namespace Flame.Evaluation.Tasks;

/// <summary>
/// A document formatted as lm-evaluation-harness formats it, before few-shot examples are
/// prepended. Two shapes exist:
/// <list type="bullet">
/// <item>one context, several choices (most tasks): the model scores " " + choice after <see cref="Text"/>;</item>
/// <item>several contexts, one continuation ("partial scoring", WinoGrande): the model scores
/// " " + <see cref="SharedContinuation"/> after each choice, which is then a context.</item>
/// </list>
/// </summary>
public sealed record FormattedDoc(string Text, IReadOnlyList<string> Choices, int Gold)
{
    /// <summary>Set for partial scoring: the continuation shared by all choices.</summary>
    public string? SharedContinuation { get; init; }

    public bool IsPartial => SharedContinuation is not null;

    /// <summary>The text of this document as a solved few-shot example.</summary>
    public string AsExample(string delimiter) => IsPartial
        ? Choices[Gold] + delimiter + SharedContinuation
        : Text + delimiter + Choices[Gold];
}
