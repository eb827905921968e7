using System.Globalization;
using Flame.Analysis.Plots;
using Flame.Analysis.Reports;
using Flame.Onnx.IO;

namespace Flame.Analysis.Routing;

/// <summary>
/// Writes a routing analysis to a folder: a CSV for every table, SVG plots (co-activation
/// heatmaps, saturation curves, specialization over training, load histograms) and one
/// self-contained report.html. Token ids are shown decoded through <c>decode</c>.
/// </summary>
public static class RoutingAnalysisWriter
{
    public static string Write(RoutingAnalysisResult result, string folder, Func<int, string> decode)
    {
        Directory.CreateDirectory(folder);
        var checkpoints = result.Checkpoints;
        var layers = result.CoActivation.Select(c => c.Layer).ToList();
        var report = new HtmlReport("Routing analysis")
            .Paragraph($"{result.TokensPerCheckpoint:N0} held-out tokens traced at {checkpoints.Count} checkpoints "
                + $"({string.Join(", ", checkpoints.Select(c => c.Name))}); MoE layers {string.Join(", ", layers)} (numbered from 1).");

        // Load balance.
        CsvTable.Write(Path.Combine(folder, "load.csv"), ["checkpoint", "step", "layer", "expert", "fraction"],
            from l in result.Load
            from e in Enumerable.Range(0, l.Fractions.Length)
            select (IReadOnlyList<string>)[l.Checkpoint.Name, CsvTable.Number(l.Checkpoint.Step), CsvTable.Number(l.Layer), CsvTable.Number(e), CsvTable.Number(l.Fractions[e])]);
        CsvTable.Write(Path.Combine(folder, "load_summary.csv"), ["checkpoint", "step", "layer", "entropy", "max_over_mean"],
            result.Load.Select(l => (IReadOnlyList<string>)[l.Checkpoint.Name, CsvTable.Number(l.Checkpoint.Step), CsvTable.Number(l.Layer), CsvTable.Number(l.Entropy), CsvTable.Number(l.MaxOverMean)]));
        report.Heading("Load balance (final checkpoint)")
            .Table(["layer", "entropy (nats)", "max / mean"], result.Load.Where(l => l.Checkpoint == checkpoints[^1])
                .Select(l => (IReadOnlyList<string>)[l.Layer.ToString(CultureInfo.InvariantCulture), F(l.Entropy), F(l.MaxOverMean)]));
        foreach (var l in result.Load.Where(l => l.Checkpoint == checkpoints[^1]))
        {
            var experts = l.Fractions.Length;
            var svg = new BarChart($"Layer {l.Layer}: tokens per expert ({l.Checkpoint.Name})", "expert", "fraction of routed slots",
                Enumerable.Range(0, experts).Select(e => e.ToString(CultureInfo.InvariantCulture)).ToList(), l.Fractions)
            { Reference = 1.0 / experts, ReferenceLabel = "balanced 1/E" }.ToSvg();
            Save(folder, $"load_layer_{l.Layer:D2}.svg", svg);
            report.Figure(svg, $"Layer {l.Layer}: fraction of routed token-slots per expert; the dashed line is perfect balance.");
        }

        // Co-activation.
        report.Heading("Co-activation (final checkpoint)")
            .Paragraph("C[i][j] = tokens routed to both i and j / tokens routed to i; the 16 experts with the largest row maxima are shown.");
        foreach (var co in result.CoActivation)
        {
            var e = co.Matrix.GetLength(0);
            CsvTable.Write(Path.Combine(folder, $"coactivation_layer_{co.Layer:D2}.csv"), ["expert", .. Enumerable.Range(0, e).Select(j => $"e{j}")],
                Enumerable.Range(0, e).Select(i => (IReadOnlyList<string>)[$"e{i}", .. Enumerable.Range(0, e).Select(j => CsvTable.Number(co.Matrix[i, j]))]));
            var shown = co.StrongestExperts;
            var sub = new double[shown.Length, shown.Length];
            for (var i = 0; i < shown.Length; i++)
            {
                for (var j = 0; j < shown.Length; j++)
                {
                    sub[i, j] = co.Matrix[shown[i], shown[j]];
                }
            }

            var labels = shown.Select(i => $"e{i}").ToList();
            var svg = new Heatmap($"Layer {co.Layer}: co-activation", sub, labels, labels) { RowAxis = "expert i", ColumnAxis = "expert j" }.ToSvg();
            Save(folder, $"coactivation_layer_{co.Layer:D2}.svg", svg);
            report.Figure(svg, $"Layer {co.Layer}: {co.DensityAbovePointOne:P1} of expert pairs co-activate above 0.1.");
        }

        // Router saturation.
        CsvTable.Write(Path.Combine(folder, "saturation.csv"), ["checkpoint", "step", "layer", "k", "saturation"],
            result.Saturation.Select(s => (IReadOnlyList<string>)[s.Checkpoint.Name, CsvTable.Number(s.Checkpoint.Step), CsvTable.Number(s.Layer), CsvTable.Number(s.K), CsvTable.Number(s.Value)]));
        report.Heading("Router saturation").Paragraph("sat(t, k) = mean over tokens of |top-k at t ∩ top-k at the final checkpoint| / k.");
        foreach (var layer in layers)
        {
            var series = result.Saturation.Where(s => s.Layer == layer).GroupBy(s => s.K)
                .Select(g => new Series($"k = {g.Key}", g.Select(s => ((double)s.Checkpoint.Step, s.Value)).ToList())).ToList();
            var svg = new LineChart($"Layer {layer}: router saturation", "training step", "overlap with final routing", series).ToSvg();
            Save(folder, $"saturation_layer_{layer:D2}.svg", svg);
            report.Figure(svg, $"Layer {layer}: how much of the final routing each checkpoint already makes.");
        }

        // Expert specialization.
        CsvTable.Write(Path.Combine(folder, "specialization.csv"),
            ["layer", "expert", "token_id", "token", "occurrences", .. checkpoints.Select(c => c.Name)],
            result.Specialization.Select(t => (IReadOnlyList<string>)[CsvTable.Number(t.Layer), CsvTable.Number(t.Expert), CsvTable.Number(t.TokenId),
                decode(t.TokenId), CsvTable.Number(t.Occurrences), .. t.ScoreByCheckpoint.Select(CsvTable.Number)]));
        var specialization = layers.Select(layer => new Series($"layer {layer}",
            checkpoints.Select((c, i) => ((double)c.Step, result.MeanSpecialization(i, layer))).ToList())).ToList();
        CsvTable.Write(Path.Combine(folder, "specialization_summary.csv"), ["checkpoint", "step", "layer", "mean_top_token_score"],
            from layer in layers
            from i in Enumerable.Range(0, checkpoints.Count)
            select (IReadOnlyList<string>)[checkpoints[i].Name, CsvTable.Number(checkpoints[i].Step), CsvTable.Number(layer), CsvTable.Number(result.MeanSpecialization(i, layer))]);
        var specSvg = new LineChart("Expert specialization over training", "training step",
            $"mean score(e, v) of each expert's top-{RoutingAnalysis.TrackedTokensPerExpert} tokens", specialization).ToSvg();
        Save(folder, "specialization.svg", specSvg);
        report.Heading("Expert specialization")
            .Paragraph("score(e, v) = occurrences of token v routed to expert e / occurrences of v (tokens seen at least 5 times), "
                + "for each expert's top tokens at the final checkpoint, tracked back through training.")
            .Figure(specSvg, "Mean specialization score of the tracked tokens, per layer.");
        foreach (var layer in layers)
        {
            var rows = result.Specialization.Where(t => t.Layer == layer).GroupBy(t => t.Expert).OrderByDescending(g => g.Max(t => t.ScoreByCheckpoint[^1])).Take(8)
                .Select(g => (IReadOnlyList<string>)[$"e{g.Key}", string.Join("  ", g.Select(t => $"{Visible(decode(t.TokenId))} ({t.ScoreByCheckpoint[^1]:F2})"))]);
            report.Heading($"Layer {layer}: most specialised experts", 3).Table(["expert", "top tokens (score at the final checkpoint)"], rows.ToList());
        }

        var reportPath = Path.Combine(folder, "report.html");
        AtomicFile.WriteAllText(reportPath, report.ToString());
        return reportPath;
    }

    private static void Save(string folder, string name, string svg) => AtomicFile.WriteAllText(Path.Combine(folder, name), svg);

    private static string F(double value) => value.ToString("F3", CultureInfo.InvariantCulture);

    // Whitespace tokens are invisible in a table; show them as escapes.
    private static string Visible(string token) => "\"" + token.Replace("\n", "\\n", StringComparison.Ordinal).Replace("\t", "\\t", StringComparison.Ordinal) + "\"";
}
