using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Flame.Analysis.Plots;
using Flame.Analysis.Reports;
using Flame.Evaluation.Tasks;
using Flame.Onnx.IO;

namespace Flame.Evaluation.Results;

/// <summary>
/// Writes what a batch evaluation produced, from its finished cells:
/// <list type="bullet">
/// <item><c>results.csv</c>: checkpoint, step, task, shots, documents, metric, value, stderr (one row per metric);</item>
/// <item><c>&lt;checkpoint&gt;/results_&lt;date&gt;.json</c>: lm-evaluation-harness v0.4.5's results file, named and laid out as
/// its EvaluationTracker writes it (results, group_subtasks, configs, versions, n-shot, higher_is_better,
/// n-samples, config with the seeds, task_hashes), so its aggregation and leaderboard parsers read it; one per checkpoint;</item>
/// <item><c>summary.md</c>: a task x checkpoint table of the headline metric;</item>
/// <item><c>accuracy.svg</c>: the headline metric of every task over training steps.</item>
/// </list>
/// </summary>
public static class EvaluationReportWriter
{
    /// <summary>The metric a task's summary shows: acc_norm where the harness reports it, else acc, else (validation) loss.</summary>
    public static string HeadlineMetric(EvaluationCell cell) =>
        cell.Result.Metrics.ContainsKey("acc_norm") ? "acc_norm" : cell.Result.Metrics.ContainsKey("acc") ? "acc" : "loss";

    public static void WriteAll(string evalDirectory, IReadOnlyList<EvaluationCell> cells, DateTime? now = null)
    {
        WriteCsv(Path.Combine(evalDirectory, "results.csv"), cells);
        var time = now ?? DateTime.Now;
        foreach (var checkpoint in cells.GroupBy(c => c.Checkpoint))
        {
            // The harness names the file by datetime.now().isoformat() with ':' replaced; the newest replaces ours from earlier runs.
            var folder = Path.Combine(evalDirectory, checkpoint.Key);
            var file = Path.Combine(folder, $"results_{time.ToString("yyyy-MM-ddTHH-mm-ss.ffffff", CultureInfo.InvariantCulture)}.json");
            AtomicFile.WriteAllText(file, HarnessJson(checkpoint.ToList(), time));
            foreach (var older in Directory.GetFiles(folder, "results_*.json").Where(f => f != file))
            {
                File.Delete(older);
            }
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

    /// <summary>One checkpoint's results in lm-evaluation-harness's layout (evaluator.py simple_evaluate's results_dict + EvaluationTracker's fields).</summary>
    public static string HarnessJson(IReadOnlyList<EvaluationCell> cells, DateTime time)
    {
        var results = new JsonObject();
        var subtasks = new JsonObject();
        var configs = new JsonObject();
        var versions = new JsonObject();
        var shots = new JsonObject();
        var higherIsBetter = new JsonObject();
        var samples = new JsonObject();
        foreach (var cell in cells.OrderBy(c => c.Result.Task, StringComparer.Ordinal))
        {
            var name = cell.Result.Task;
            var task = new JsonObject { ["alias"] = name };
            foreach (var (metric, value) in cell.Result.Metrics.OrderBy(m => m.Key, StringComparer.Ordinal))
            {
                task[$"{metric},none"] = JsonNumber(value.Value);
                task[$"{metric}_stderr,none"] = JsonNumber(value.StandardError);
            }

            results[name] = task;
            subtasks[name] = new JsonArray();
            shots[name] = cell.Result.Shots;
            higherIsBetter[name] = new JsonObject(cell.Result.Metrics.Keys.Order(StringComparer.Ordinal)
                .Select(m => KeyValuePair.Create(m, (JsonNode?)HigherIsBetter(m))));
            samples[name] = new JsonObject { ["original"] = cell.Result.Documents, ["effective"] = cell.Result.Documents };
            if (TaskRegistry.All.FirstOrDefault(t => t.Name == name) is { } harnessTask)
            {
                var c = harnessTask.Config;
                versions[name] = c.Version;
                configs[name] = new JsonObject
                {
                    ["task"] = name, ["dataset_path"] = c.DatasetPath, ["dataset_name"] = c.DatasetName,
                    ["training_split"] = c.TrainingSplit, ["validation_split"] = c.ValidationSplit, ["test_split"] = c.TestSplit,
                    ["fewshot_split"] = null, ["num_fewshot"] = cell.Result.Shots, ["output_type"] = c.OutputType,
                    ["target_delimiter"] = harnessTask.TargetDelimiter, ["fewshot_delimiter"] = Scoring.PromptBuilder.ExampleDelimiter,
                    ["metric_list"] = new JsonArray([.. harnessTask.Metrics.Select(m => (JsonNode)new JsonObject
                    {
                        ["metric"] = m, ["aggregation"] = m == "perplexity" ? "perplexity" : "mean", ["higher_is_better"] = HigherIsBetter(m),
                    })]),
                    ["metadata"] = new JsonObject { ["version"] = c.Version },
                };
            }
        }

        var first = cells.FirstOrDefault();
        var seed = cells.Where(c => c.Result.Shots > 0).Select(c => c.Result.FewShotSeed).FirstOrDefault(Scoring.PromptBuilder.HarnessSeed);
        var model = $"flame-onnx/{first?.Checkpoint}";
        var root = new JsonObject
        {
            ["results"] = results,
            ["group_subtasks"] = subtasks,
            ["configs"] = configs,
            ["versions"] = versions,
            ["n-shot"] = shots,
            ["higher_is_better"] = higherIsBetter,
            ["n-samples"] = samples,
            ["config"] = new JsonObject
            {
                ["model"] = "flame-onnx", ["model_args"] = $"checkpoint={first?.Checkpoint},step={first?.Step}",
                ["random_seed"] = 0, ["numpy_seed"] = 1234, ["torch_seed"] = 1234, ["fewshot_seed"] = seed,
            },
            ["task_hashes"] = new JsonObject(),   // the harness fills these only with --log_samples
            ["model_name"] = model,
            ["model_name_sanitized"] = model.Replace("/", "__", StringComparison.Ordinal),
            ["date"] = new DateTimeOffset(time).ToUnixTimeMilliseconds() / 1000.0,
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

    // Accuracies rise as a model gets better; perplexity and loss fall.
    private static bool HigherIsBetter(string metric) => metric is not ("perplexity" or "loss");

    private static JsonNode? JsonNumber(double value) => double.IsFinite(value) ? JsonValue.Create(value) : null;

}
