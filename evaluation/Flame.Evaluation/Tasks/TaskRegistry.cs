namespace Flame.Evaluation.Tasks;

/// <summary>The tasks `flame eval --tasks` knows, by the harness's names.</summary>
public static class TaskRegistry
{
    public static IReadOnlyList<HarnessTask> All { get; } =
    [
        new HellaSwagTask(), new ArcTask(challenge: false), new ArcTask(challenge: true), new PiqaTask(),
        new OpenBookQaTask(), new WinoGrandeTask(), new LambadaTask(), new SciQTask(), new BoolQTask(),
    ];

    /// <summary>The six tasks FLAME-MoE reports.</summary>
    public static IReadOnlyList<string> FlameMoeSuite { get; } = ["hellaswag", "arc_easy", "arc_challenge", "piqa", "openbookqa", "winogrande"];

    public static HarnessTask Get(string name) =>
        All.FirstOrDefault(t => t.Name == name.Trim().ToLowerInvariant())
        ?? throw new ArgumentException($"unknown task '{name}'; known tasks: {string.Join(", ", All.Select(t => t.Name))}");
}
