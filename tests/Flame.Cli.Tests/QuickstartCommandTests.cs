namespace Flame.Cli.Tests;

/// <summary>`flame quickstart` end to end at a few steps (the README's first command), and its re-run.</summary>
[TestClass]
public sealed class QuickstartCommandTests
{
    [TestMethod]
    public void RunsEveryStageAndSkipsThemOnARerun()
    {
        var folder = Directory.CreateTempSubdirectory("flame-quickstart-").FullName;
        try
        {
            string[] args = ["quickstart", "--out", folder, "--steps", "3", "--trace-tokens", "1024"];
            var (code, output, error) = CliRunner.Run(args);
            Assert.AreEqual(0, code, error + output);
            foreach (var path in new[]
            {
                "tokenizer.json", "data/demo.bin", "data/demo.idx", "data/cloze/lambada_openai/test.jsonl", "runs/moe/checkpoints/latest", "runs/dense/checkpoints/latest",
                "runs/moe/eval/summary.md", "runs/dense/eval/summary.md", "runs/moe/traces/samples", "runs/moe/analysis/report.html", "report.html",
            })
            {
                Assert.IsTrue(File.Exists(Path.Combine(folder, path)) || Directory.Exists(Path.Combine(folder, path)), $"{path} after the quickstart");
            }

            Assert.IsTrue(Directory.EnumerateFiles(Path.Combine(folder, "runs", "moe", "export"), "model.onnx", SearchOption.AllDirectories).Any(), "an exported model.onnx");
            StringAssert.Contains(output, "report:");
            StringAssert.Contains(File.ReadAllText(Path.Combine(folder, "report.html")), "Validation loss");
            StringAssert.Contains(File.ReadAllText(Path.Combine(folder, "report.html")), "Cloze accuracy", "the harness's lambada_openai on held-out passages, both models");
            StringAssert.Contains(File.ReadAllText(Path.Combine(folder, "runs", "dense", "eval", "results.csv")), ",lambada_openai,");

            (code, output, error) = CliRunner.Run(args);
            Assert.AreEqual(0, code, error);
            Assert.AreEqual(11, output.Split('\n').Count(l => l.Contains("done already")), output);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
