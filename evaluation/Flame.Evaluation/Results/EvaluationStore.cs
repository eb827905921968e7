using System.Text.Json;
using Flame.Evaluation.Scoring;
using Flame.Onnx.IO;

namespace Flame.Evaluation.Results;

/// <summary>
/// The finished cells of a batch evaluation, one JSON file each under
/// <c>eval/cells/&lt;checkpoint&gt;/&lt;task&gt;.json</c>, written atomically. A re-run skips
/// the cells that exist, so an interrupted evaluation resumes where it stopped.
/// </summary>
public sealed class EvaluationStore(string evalDirectory)
{
    // A standard error is NaN for a single document; JSON has no NaN, so it is written as "NaN".
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public string Directory { get; } = evalDirectory;

    public bool Has(string checkpoint, string task) => File.Exists(CellPath(checkpoint, task));

    /// <summary>Whether the cell exists and was evaluated with these shots and few-shot seed (else it is evaluated again).</summary>
    public bool Has(string checkpoint, string task, int shots, int seed) =>
        Has(checkpoint, task) && Read(CellPath(checkpoint, task)).Result is var result && result.Shots == shots && (shots == 0 || result.FewShotSeed == seed);

    public void Save(EvaluationCell cell) =>
        AtomicFile.WriteAllText(CellPath(cell.Checkpoint, cell.Result.Task), JsonSerializer.Serialize(cell, Json));

    /// <summary>Every finished cell, ordered by step then task.</summary>
    public IReadOnlyList<EvaluationCell> All()
    {
        var root = Path.Combine(Directory, "cells");
        if (!System.IO.Directory.Exists(root))
        {
            return [];
        }

        return System.IO.Directory.EnumerateFiles(root, "*.json", SearchOption.AllDirectories)
            .Select(Read)
            .OrderBy(c => c.Step).ThenBy(c => c.Checkpoint, StringComparer.Ordinal).ThenBy(c => c.Result.Task, StringComparer.Ordinal)
            .ToList();
    }

    private static EvaluationCell Read(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<EvaluationCell>(File.ReadAllText(path), Json)
                ?? throw new InvalidDataException($"{path}: empty evaluation cell");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not an evaluation cell ({e.Message}); delete it to evaluate that cell again");
        }
    }

    private string CellPath(string checkpoint, string task) => Path.Combine(Directory, "cells", checkpoint, task + ".json");
}
