namespace Flame.Evaluation.Tasks;

/// <summary>Physical Interaction QA (Bisk et al., 2020): pick the better of two solutions. FLAME-MoE: 10-shot.</summary>
public sealed class PiqaTask : HarnessTask
{
    public override string Name => "piqa";

    public override string EvaluationSplit => "validation";

    public override int DefaultShots => 10;

    public override IReadOnlyList<string> Fields => ["goal", "sol1", "sol2", "label"];

    public override FormattedDoc Format(TaskRecord record) => new(
        "Question: " + record.GetString("goal") + "\nAnswer:",
        [record.GetString("sol1"), record.GetString("sol2")],
        record.GetInt("label"));
}
