using System.Globalization;
using Flame.Analysis.Plots;
using Flame.Analysis.Reports;
using Flame.Evaluation.Results;
using Flame.Training.Loop;

namespace Flame.Cli.Commands;

/// <summary>The quickstart's one-page report: the MoE against its dense baseline (training and validation loss), with links to the routing analyses.</summary>
internal static class QuickstartReport
{
    public static string Write(string root, IReadOnlyList<(string Name, string Run)> runs, IReadOnlyList<QuickstartFindings.Finding> findings)
    {
        var logs = runs.Select(r => (r.Name, Rows: ReadLog(RunFiles.TrainLog(r.Run)))).ToList();
        var report = new HtmlReport("Flame.Onnx quickstart");
        report.Paragraph("A small FLAME-MoE model and its dense baseline with the same active parameters per token, trained on the demo corpus (State of the Union addresses and Moby-Dick) with the same data, steps and schedule.");
        report.Table(["model", "steps", "tokens", "final train lm loss", "final validation loss", "tokens/s (median)"], logs.Select(l =>
        {
            var last = l.Rows[^1];
            var valid = l.Rows.LastOrDefault(r => !double.IsNaN(r.Valid));
            return (IReadOnlyList<string>)[l.Name, F0(last.Step), F0(last.Tokens), F4(last.Lm), valid is null ? "-" : F4(valid.Valid), F0(Median(l.Rows.Select(r => r.TokensPerSecond)))];
        }));
        report.Figure(new LineChart("Training loss (language model)", "step", "lm loss",
            logs.Select(l => new Series(l.Name, Smooth(l.Rows.Select(r => ((double)r.Step, r.Lm)).ToList()))).ToList()).ToSvg(),
            "Cross-entropy of each training batch (moving average over 20 steps).");
        report.Figure(new LineChart("Validation loss", "step", "lm loss",
            logs.Select(l => new Series(l.Name, l.Rows.Where(r => !double.IsNaN(r.Valid)).Select(r => ((double)r.Step, r.Valid)).ToList())).ToList()).ToSvg(),
            "Loss on the same held-out windows of the validation split at every validation.");
        var cloze = runs.Select(r => (r.Name, Cells: new EvaluationStore(Path.Combine(r.Run, "eval")).All().Where(c => c.Result.Task == "lambada_openai").OrderBy(c => c.Step).ToList()))
            .Where(r => r.Cells.Count > 0).ToList();
        if (cloze.Count > 0)
        {
            report.Heading("Cloze accuracy (lambada_openai on held-out documents)");
            report.Paragraph("lm-evaluation-harness's lambada_openai task, prompt for prompt, on passages cut from the test split of the demo corpus (never trained on: data/cloze): "
                + "acc = the greedy continuation is exactly the passage's last word; perplexity of that word.");
            report.Table(["model", "checkpoint", "acc", "perplexity"], cloze.Select(r => r.Cells[^1]).Select((c, i) => (IReadOnlyList<string>)[cloze[i].Name, c.Checkpoint,
                string.Create(CultureInfo.InvariantCulture, $"{c.Result.Metrics["acc"].Value:F4} ± {c.Result.Metrics["acc"].StandardError:F4}"),
                string.Create(CultureInfo.InvariantCulture, $"{c.Result.Metrics["perplexity"].Value:F1}")]));
            report.Figure(new LineChart("Cloze accuracy over training", "step", "acc",
                cloze.Select(r => new Series(r.Name, r.Cells.Select(c => ((double)c.Step, c.Result.Metrics["acc"].Value)).ToList())).ToList()).ToSvg(),
                "Every checkpoint of both models on the same held-out passages.");
        }

        report.Heading("FLAME-MoE's findings at this scale");
        report.Table(["claim", "measured here", "reproduced?"], findings.Select(f => (IReadOnlyList<string>)[f.Claim, f.Measured, f.Reproduced ? "yes" : "no"]));
        report.Heading("Routing");
        report.Paragraph("Expert specialization, co-activation, router saturation and load balance of the MoE across its checkpoints: runs/moe/analysis/report.html (CSV tables beside it). Traces: runs/moe/traces; the exported model: runs/moe/export.");
        var path = Path.Combine(root, "report.html");
        Flame.Onnx.IO.AtomicFile.WriteAllText(path, report.ToString());
        return path;
    }

    private sealed record LogRow(long Step, long Tokens, double Lm, double Valid, double TokensPerSecond);

    private static List<LogRow> ReadLog(string path)
    {
        var lines = File.ReadAllLines(path);
        var header = lines[0].Split(',');
        int Column(string name) => Array.IndexOf(header, name) is >= 0 and var i ? i : throw new InvalidDataException($"{path}: no column '{name}'");
        var (step, tokens, lm, valid, speed) = (Column("step"), Column("tokens"), Column("lm_loss"), Column("valid_loss"), Column("tokens_per_s"));
        double D(string text) => text.Length == 0 ? double.NaN : double.Parse(text, CultureInfo.InvariantCulture);
        return lines.Skip(1).Select(l => l.Split(',')).Select(f => new LogRow(long.Parse(f[step], CultureInfo.InvariantCulture),
            long.Parse(f[tokens], CultureInfo.InvariantCulture), D(f[lm]), D(f[valid]), D(f[speed]))).ToList();
    }

    private static List<(double X, double Y)> Smooth(List<(double X, double Y)> points, int window = 20) =>
        points.Select((p, i) => (p.X, points.Skip(Math.Max(0, i - window + 1)).Take(Math.Min(window, i + 1)).Average(q => q.Y))).ToList();

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count == 0 ? double.NaN : sorted[sorted.Count / 2];
    }

    private static string F0(double v) => v.ToString("N0", CultureInfo.InvariantCulture);

    private static string F4(double v) => v.ToString("F4", CultureInfo.InvariantCulture);
}
