using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Flame.Analysis.Plots;
using Flame.Analysis.Reports;
using Flame.Onnx.IO;

namespace Flame.Evaluation.Results;

/// <summary>
/// Writes what a batch evaluation produced, from its finished cells:
/// <list type="bullet">
/// <item><c>results.csv</c>: checkpoint, step, task, shots, documents, metric, value, stderr (one row per metric);</item>
/// <item><c>&lt;checkpoint&gt;/results.json</c>: lm-evaluation-harness's results layout ("acc,none", "acc_stderr,none", "n-shot", ...);</item>
/// <item><c>summary.md</c>: a task x checkpoint table of the headline metric;</item>
/// <item><c>accuracy.svg</c>: the headline metric of every task over training steps.</item>
/// </list>
/// </summary>
public static class EvaluationReportWriter
{
    /// <summary>The metric a task's summary shows: acc_norm where the harness reports it, else acc, else (validation) loss.</summary>
    public static string HeadlineMetric(EvaluationCell cell) =>
        cell.Result.Metrics.ContainsKey("acc_norm") ? "acc_norm" : cell.Result.Metrics.ContainsKey("acc") ? "acc" : "loss";

    public static void WriteAll(string evalDirectory, IReadOnlyList<EvaluationCell> cells)
    {
        WriteCsv(Path.Combine(evalDirectory, "results.csv"), cells);
        foreach (var checkpoint in cells.GroupBy(c => c.Checkpoint))
        {
            AtomicFile.WriteAllText(Path.Combine(evalDirectory, checkpoint.Key, "results.json"), HarnessJson(checkpoint.ToList()));
        }

        AtomicFile.WriteAllText(Path.Combine(evalDirectory, "summary.md"), SummaryTable(cells));
        AtomicFile.WriteAllText(Path.Combine(evalDirectory, "accuracy.svg"), AccuracyPlot(cells));
    }

    public static void WriteCsv(string path, IReadOnlyList<EvaluationCell> cells) => CsvTable.Write(path,
        ["checkpoint", "step", "task", "shots", "documents", "metric", "value", "stderr"],
        from cell in cells
        from metric in cell.Result.Metrics.OrderBy(m => m.Key, StringComparer.Ordinal)
        select (IReadOnlyList<string>)[cell.Checkpoint, CsvTable.Number(cell.Step), cell.Result.Task, CsvTable.Number(cell.Result.Shots),
            CsvTable.Number(cell.Result.Documents), metric.Key, CsvTable.Number(metric.Value.Value), CsvTable.Number(metric.Value.StandardError)]);

    /// <summary>One checkpoint's results in lm-evaluation-harness's layout.</summary>
    public static string HarnessJson(IReadOnlyList<EvaluationCell> cells)
    {
        var results = new JsonObject();
        var shots = new JsonObject();
        var samples = new JsonObject();
        foreach (var cell in cells)
        {
            var task = new JsonObject { ["alias"] = cell.Result.Task };
            foreach (var (metric, value) in cell.Result.Metrics.OrderBy(m => m.Key, StringComparer.Ordinal))
            {
                task[$"{metric},none"] = JsonNumber(value.Value);
                task[$"{metric}_stderr,none"] = JsonNumber(value.StandardError);
            }

            results[cell.Result.Task] = task;
            shots[cell.Result.Task] = cell.Result.Shots;
            samples[cell.Result.Task] = new JsonObject { ["original"] = cell.Result.Documents, ["effective"] = cell.Result.Documents };
        }

        var root = new JsonObject
        {
            ["results"] = results,
            ["n-shot"] = shots,
            ["n-samples"] = samples,
            ["config"] = new JsonObject { ["model"] = "flame-onnx", ["checkpoint"] = cells.FirstOrDefault()?.Checkpoint, ["step"] = cells.FirstOrDefault()?.Step },
        };
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>Markdown: one row per task, one column per checkpoint, "value ± stderr" of the headline metric.</summary>
    public static string SummaryTable(IReadOnlyList<EvaluationCell> cells)
    {
        var checkpoints = cells.Select(c => (c.Checkpoint, c.Step)).Distinct().OrderBy(c => c.Step).Select(c => c.Checkpoint).ToList();
        var text = new StringBuilder();
        text.Append("| task | metric | ").AppendJoin(" | ", checkpoints).Append(" |\n");
        text.Append("|---|---|").Append(string.Concat(checkpoints.Select(_ => "---|"))).Append('\n');
        foreach (var task in cells.GroupBy(c => c.Result.Task).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var metric = HeadlineMetric(task.First());
            text.Append($"| {task.Key} | {metric} | ");
            text.AppendJoin(" | ", checkpoints.Select(checkpoint =>
                task.FirstOrDefault(c => c.Checkpoint == checkpoint)?.Result.Metrics.GetValueOrDefault(metric) is { } value
                    ? string.Create(CultureInfo.InvariantCulture, $"{value.Value:F4} ± {value.StandardError:F4}")
                    : "—"));
            text.Append(" |\n");
        }

        return text.ToString();
    }

    public static string AccuracyPlot(IReadOnlyList<EvaluationCell> cells) => new LineChart(
        "Accuracy over training", "training step", "accuracy (acc_norm where reported)",
        cells.Where(c => HeadlineMetric(c) != "loss").GroupBy(c => c.Result.Task).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(task => new Series(task.Key, task.Select(c => ((double)c.Step, c.Result.Metrics[HeadlineMetric(c)].Value)).ToList()))
            .ToList()).ToSvg();

    private static JsonNode? JsonNumber(double value) => double.IsFinite(value) ? JsonValue.Create(value) : null;

}
