using System.Text.Json;
using System.Xml.Linq;
using Flame.Evaluation.Results;
using Flame.Evaluation.Scoring;

namespace Flame.Evaluation.Tests;

[TestClass]
public sealed class ResultsTests
{
    private string _eval = null!;

    [TestInitialize]
    public void CreateFolder() => _eval = Directory.CreateTempSubdirectory("flame-eval-results-").FullName;

    [TestCleanup]
    public void DeleteFolder() => Directory.Delete(_eval, recursive: true);

    private static EvaluationCell Cell(string checkpoint, long step, string task, double acc, double? accNorm = null)
    {
        var metrics = new Dictionary<string, MetricValue> { ["acc"] = new(acc, 0.01) };
        if (accNorm is { } norm)
        {
            metrics["acc_norm"] = new MetricValue(norm, double.NaN);
        }

        return new EvaluationCell(checkpoint, step, new TaskResult(task, 10, 100, metrics));
    }

    [TestMethod]
    public void StoreSkipsFinishedCellsAndRoundTripsNaN()
    {
        var store = new EvaluationStore(_eval);
        Assert.IsFalse(store.Has("iter_0000100", "piqa"));

        store.Save(Cell("iter_0000100", 100, "piqa", 0.6, 0.62));

        Assert.IsTrue(store.Has("iter_0000100", "piqa"));
        var cell = store.All().Single();
        Assert.AreEqual(0.62, cell.Result.Metrics["acc_norm"].Value);
        Assert.IsTrue(double.IsNaN(cell.Result.Metrics["acc_norm"].StandardError));
    }

    [TestMethod]
    public void CorruptCellNamesItsFile()
    {
        var store = new EvaluationStore(_eval);
        var path = Path.Combine(_eval, "cells", "iter_0000001", "piqa.json");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, "{ truncated");
        var error = Assert.ThrowsExactly<InvalidDataException>(() => store.All());
        StringAssert.Contains(error.Message, path);
    }

    [TestMethod]
    public void WritesCsvHarnessJsonSummaryAndPlot()
    {
        var cells = new[]
        {
            Cell("iter_0000100", 100, "piqa", 0.55, 0.56),
            Cell("iter_0000200", 200, "piqa", 0.60, 0.61),
            Cell("iter_0000200", 200, "winogrande", 0.51),
        };

        EvaluationReportWriter.WriteAll(_eval, cells, new DateTime(2026, 12, 1, 9, 5, 7, 123, 456));
        EvaluationReportWriter.WriteAll(_eval, cells, new DateTime(2026, 12, 1, 10, 5, 7, 123, 456));

        var csv = File.ReadAllLines(Path.Combine(_eval, "results.csv"));
        Assert.AreEqual("checkpoint,step,task,shots,documents,metric,value,stderr", csv[0]);
        Assert.HasCount(1 + 2 + 2 + 1, csv);
        CollectionAssert.Contains(csv, "iter_0000200,200,winogrande,10,100,acc,0.51,0.01");

        // The harness's file name (datetime.isoformat() with ':' → '-'); the later run's file replaces the earlier one.
        CollectionAssert.AreEqual(new[] { "results_2026-12-01T10-05-07.123456.json" }, Directory.GetFiles(Path.Combine(_eval, "iter_0000200"), "results_*.json").Select(Path.GetFileName).ToArray());
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(_eval, "iter_0000200", "results_2026-12-01T10-05-07.123456.json")));
        var root = json.RootElement;
        var piqa = root.GetProperty("results").GetProperty("piqa");
        Assert.AreEqual(0.61, piqa.GetProperty("acc_norm,none").GetDouble());
        Assert.AreEqual(JsonValueKind.Null, piqa.GetProperty("acc_norm_stderr,none").ValueKind);
        Assert.AreEqual(10, root.GetProperty("n-shot").GetProperty("piqa").GetInt32());
        Assert.AreEqual(1.0, root.GetProperty("versions").GetProperty("piqa").GetDouble());
        Assert.IsTrue(root.GetProperty("higher_is_better").GetProperty("piqa").GetProperty("acc_norm").GetBoolean());
        var config = root.GetProperty("configs").GetProperty("winogrande");
        Assert.AreEqual("winogrande_xl", config.GetProperty("dataset_name").GetString());
        Assert.AreEqual(JsonValueKind.Null, config.GetProperty("test_split").ValueKind);
        Assert.AreEqual(" ", config.GetProperty("target_delimiter").GetString());
        Assert.AreEqual(1234, root.GetProperty("config").GetProperty("fewshot_seed").GetInt32());
        Assert.AreEqual(JsonValueKind.Object, root.GetProperty("task_hashes").ValueKind);
        CollectionAssert.AreEquivalent(new[] { "results", "group_subtasks", "configs", "versions", "n-shot", "higher_is_better", "n-samples", "config", "task_hashes", "model_name", "model_name_sanitized", "date" },
            root.EnumerateObject().Select(p => p.Name).ToArray());

        var summary = File.ReadAllText(Path.Combine(_eval, "summary.md"));
        StringAssert.Contains(summary, "| piqa | acc_norm | 0.5600 ± NaN | 0.6100 ± NaN |");
        StringAssert.Contains(summary, "| winogrande | acc | — | 0.5100 ± 0.0100 |");

        XDocument.Parse(File.ReadAllText(Path.Combine(_eval, "accuracy.svg")));
    }
}
