using System.Globalization;
using System.Text.RegularExpressions;

namespace Flame.Analysis.Traces;

/// <summary>
/// The released FLAME-MoE trace layout under a traces folder:
/// <c>actives/iter_NNNNNNN/layer_NN.parquet</c> (columns <c>scores</c>: list of top-k scores,
/// sorted descending; <c>indices</c>: list of top-k experts) and <c>samples/*.parquet</c>
/// (column <c>token_id</c>), one row per token in the same order in every file. Layers are
/// numbered from 1, so the MoE layers of FLAME-MoE are 2..L.
/// </summary>
public static partial class TraceLayout
{
    public static string ActivesFolder(string traces, string checkpoint) => Path.Combine(traces, "actives", checkpoint);

    public static string LayerFile(string traces, string checkpoint, int layer) =>
        Path.Combine(ActivesFolder(traces, checkpoint), $"layer_{layer:D2}.parquet");

    public static string SamplesFolder(string traces) => Path.Combine(traces, "samples");

    /// <summary>The checkpoints traced under <paramref name="traces"/>, by step.</summary>
    public static IReadOnlyList<(string Name, long Step)> Checkpoints(string traces)
    {
        var actives = Path.Combine(traces, "actives");
        return Directory.Exists(actives)
            ? Directory.GetDirectories(actives)
                .Select(Path.GetFileName)
                .Select(name => CheckpointName().Match(name!))
                .Where(m => m.Success)
                .Select(m => (m.Value, long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)))
                .OrderBy(c => c.Item2)
                .ToList()
            : [];
    }

    /// <summary>The layers traced for one checkpoint.</summary>
    public static IReadOnlyList<int> Layers(string traces, string checkpoint) =>
        Directory.GetFiles(ActivesFolder(traces, checkpoint), "layer_*.parquet")
            .Select(f => LayerName().Match(Path.GetFileName(f)))
            .Where(m => m.Success)
            .Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture))
            .Order()
            .ToList();

    [GeneratedRegex(@"^iter_(\d+)$")]
    private static partial Regex CheckpointName();

    [GeneratedRegex(@"^layer_(\d+)\.parquet$")]
    private static partial Regex LayerName();
}
