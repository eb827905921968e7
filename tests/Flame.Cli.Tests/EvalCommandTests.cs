namespace Flame.Cli.Tests;

[TestClass]
public sealed class EvalCommandTests
{
    [TestMethod]
    public void EvaluatesAnExportedModelOnTaskFilesAndResumes()
    {
        var folder = Directory.CreateTempSubdirectory("flame-eval-cli-").FullName;
        try
        {
            var model = Path.Combine(folder, "tiny-gpt2.onnx");
            var export = CliRunner.Run("model", "export-graph", "--config", "tiny-moe", "--set", "vocab_size=50257", "--set", "layers=2", "--out", model);
            Assert.AreEqual(0, export.ExitCode, export.Error);
            var output = Path.Combine(folder, "eval");
            string[] args = ["eval", "--model", model, "--tokenizer", Path.Combine(AppContext.BaseDirectory, "testdata", "gpt2"),
                "--tasks", "piqa,winogrande,lambada_openai,arc_easy", "--data", Path.Combine(AppContext.BaseDirectory, "Fixtures"), "--out", output, "--shots", "0"];

            var first = CliRunner.Run(args);

            Assert.AreEqual(0, first.ExitCode, first.Error);
            StringAssert.Contains(first.Output, "perplexity");
            var csv = File.ReadAllLines(Path.Combine(output, "results.csv"));
            Assert.IsTrue(csv.Any(l => l.StartsWith("tiny-gpt2,0,arc_easy,0,2,acc_norm,", StringComparison.Ordinal)), string.Join("\n", csv));
            Assert.IsTrue(File.Exists(Path.Combine(output, "tiny-gpt2", "results.json")));

            var second = CliRunner.Run(args);
            StringAssert.Contains(second.Output, "every task already evaluated");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    public void MissingTaskDataNamesTheExpectedFile()
    {
        var folder = Directory.CreateTempSubdirectory("flame-eval-cli-").FullName;
        try
        {
            var model = Path.Combine(folder, "m.onnx");
            CliRunner.Run("model", "export-graph", "--config", "tiny-dense", "--set", "vocab_size=50257", "--set", "layers=1", "--out", model);
            var result = CliRunner.Run("eval", "--model", model, "--tokenizer", Path.Combine(AppContext.BaseDirectory, "testdata", "gpt2"),
                "--tasks", "hellaswag", "--data", folder, "--out", Path.Combine(folder, "eval"));
            Assert.AreEqual(1, result.ExitCode);
            StringAssert.Contains(result.Error, Path.Combine(folder, "hellaswag", "validation") + ".jsonl");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
