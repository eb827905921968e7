using System.Globalization;
using Flame.Analysis.Scaling;

namespace Flame.Cli.Tests;

[TestClass]
public sealed class ScalingCommandTests
{
    [TestMethod]
    public void FitThenPlanFromFiles()
    {
        var folder = Directory.CreateTempSubdirectory("flame-scaling-").FullName;
        try
        {
            var law = ScalingLaw.FlameMoePublished;
            var runs = Path.Combine(folder, "runs.csv");
            var lines = new List<string> { "active_params,tokens,loss" };
            foreach (var n in new[] { 38e6, 100e6, 296e6, 735e6, 1754e6 })
            {
                foreach (var c in new[] { 1e18, 1e19, 1e20 })
                {
                    var d = c / (6 * n);
                    lines.Add(string.Create(CultureInfo.InvariantCulture, $"{n},{d},{law.Predict(n, d)}"));
                }
            }

            File.WriteAllLines(runs, lines);
            var fitFile = Path.Combine(folder, "fit.json");

            var fit = CliRunner.Run("scaling", "fit", "--runs", runs, "--out", fitFile);
            Assert.AreEqual(0, fit.ExitCode, fit.Error);
            StringAssert.Contains(fit.Output, "N^0.2797");
            Assert.IsTrue(File.Exists(fitFile));

            var plan = CliRunner.Run("scaling", "plan", "--flops", "1e20", "--fit", fitFile);
            Assert.AreEqual(0, plan.ExitCode, plan.Error);
            var expected = law.PlanFor(1e20);
            StringAssert.Contains(plan.Output, string.Create(CultureInfo.InvariantCulture, $"{expected.ActiveParameters / 1e6:F1}M"));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    public void MissingRunsFileIsOneClearLineNotAStackTrace()
    {
        var result = CliRunner.Run("scaling", "fit", "--runs", "/nonexistent/runs.csv");

        Assert.AreEqual(1, result.ExitCode);
        StringAssert.Contains(result.Error, "/nonexistent/runs.csv");
        Assert.IsFalse(result.Error.Contains("   at ", StringComparison.Ordinal), result.Error);
    }
}
