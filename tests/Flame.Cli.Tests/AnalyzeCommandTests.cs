using Flame.Analysis.Traces;

namespace Flame.Cli.Tests;

[TestClass]
public sealed class AnalyzeCommandTests
{
    [TestMethod]
    public void AnalysesATracesFolderIntoTablesPlotsAndAReport()
    {
        var run = Directory.CreateTempSubdirectory("flame-analyze-").FullName;
        try
        {
            var traces = Path.Combine(run, "traces");
            var writer = new TraceWriter(traces);
            const int tokens = 500;
            writer.WriteSamples(Enumerable.Range(0, tokens).Select(i => i % 50).ToArray());
            foreach (var checkpoint in new[] { "iter_0000100", "iter_0000200" })
            {
                var indices = Enumerable.Range(0, tokens * 2).Select(i => (i / 2 + i % 2 + checkpoint.Length) % 8).ToArray();
                writer.WriteLayer(checkpoint, 2, indices, new float[tokens * 2], topK: 2);
            }

            var result = CliRunner.Run("analyze", "--traces", traces, "--experts", "8", "--vocab-size", "50");

            Assert.AreEqual(0, result.ExitCode, result.Error);
            StringAssert.Contains(result.Output, "2 checkpoints x 1 MoE layers (top-2)");
            Assert.IsTrue(File.Exists(Path.Combine(run, "analysis", "report.html")));
            Assert.IsTrue(File.Exists(Path.Combine(run, "analysis", "saturation.csv")));
        }
        finally
        {
            Directory.Delete(run, recursive: true);
        }
    }

    [TestMethod]
    public void ExpertIndexBeyondExpertsNamesIt()
    {
        var run = Directory.CreateTempSubdirectory("flame-analyze-").FullName;
        try
        {
            var traces = Path.Combine(run, "traces");
            var writer = new TraceWriter(traces);
            writer.WriteSamples([1, 2]);
            writer.WriteLayer("iter_0000001", 2, [0, 9, 1, 2], new float[4], topK: 2);

            var result = CliRunner.Run("analyze", "--traces", traces, "--experts", "8", "--vocab-size", "50");

            Assert.AreEqual(1, result.ExitCode);
            StringAssert.Contains(result.Error, "expert index 9");
        }
        finally
        {
            Directory.Delete(run, recursive: true);
        }
    }
}
