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

        EvaluationReportWriter.WriteAll(_eval, cells);

        var csv = File.ReadAllLines(Path.Combine(_eval, "results.csv"));
        Assert.AreEqual("checkpoint,step,task,shots,documents,metric,value,stderr", csv[0]);
        Assert.HasCount(1 + 2 + 2 + 1, csv);
        CollectionAssert.Contains(csv, "iter_0000200,200,winogrande,10,100,acc,0.51,0.01");

        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(_eval, "iter_0000200", "results.json")));
        var piqa = json.RootElement.GetProperty("results").GetProperty("piqa");
        Assert.AreEqual(0.61, piqa.GetProperty("acc_norm,none").GetDouble());
        Assert.AreEqual(JsonValueKind.Null, piqa.GetProperty("acc_norm_stderr,none").ValueKind);
        Assert.AreEqual(10, json.RootElement.GetProperty("n-shot").GetProperty("piqa").GetInt32());

        var summary = File.ReadAllText(Path.Combine(_eval, "summary.md"));
        StringAssert.Contains(summary, "| piqa | acc_norm | 0.5600 ± NaN | 0.6100 ± NaN |");
        StringAssert.Contains(summary, "| winogrande | acc | — | 0.5100 ± 0.0100 |");

        XDocument.Parse(File.ReadAllText(Path.Combine(_eval, "accuracy.svg")));
    }
}
