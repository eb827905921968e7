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
            Assert.HasCount(1, Directory.GetFiles(Path.Combine(output, "tiny-gpt2"), "results_*.json"));

            var second = CliRunner.Run(args);
            StringAssert.Contains(second.Output, "every task already evaluated");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    public void ScoresInReducedPrecisionWhereTheDeviceHasIt()
    {
        var folder = Directory.CreateTempSubdirectory("flame-eval-precision-").FullName;
        try
        {
            var model = Path.Combine(folder, "tiny-gpt2.onnx");
            Assert.AreEqual(0, CliRunner.Run("model", "export-graph", "--config", "tiny-moe", "--set", "vocab_size=50257", "--set", "layers=2", "--out", model).ExitCode);
            double Perplexity(string precision)
            {
                var output = Path.Combine(folder, precision);
                var result = CliRunner.Run("eval", "--model", model, "--tokenizer", Path.Combine(AppContext.BaseDirectory, "testdata", "gpt2"), "--tasks", "lambada_openai",
                    "--data", Path.Combine(AppContext.BaseDirectory, "Fixtures"), "--out", output, "--precision", precision);
                Assert.AreEqual(0, result.ExitCode, result.Error);
                var row = File.ReadAllLines(Path.Combine(output, "results.csv")).Single(l => l.Contains(",lambada_openai,", StringComparison.Ordinal) && l.Contains(",perplexity,", StringComparison.Ordinal));
                return double.Parse(row.Split(',')[6], System.Globalization.CultureInfo.InvariantCulture);
            }

            var fp32 = Perplexity("fp32");
            Assert.AreEqual(fp32, Perplexity("fp16"), 0.02 * fp32, "fp16 matrix multiplies score within 2 % of fp32");
            var bf16 = CliRunner.Run("eval", "--model", model, "--tokenizer", Path.Combine(AppContext.BaseDirectory, "testdata", "gpt2"), "--tasks", "lambada_openai",
                "--data", Path.Combine(AppContext.BaseDirectory, "Fixtures"), "--out", Path.Combine(folder, "bf16"), "--precision", "bf16");
            Assert.AreEqual(1, bf16.ExitCode);
            StringAssert.Contains(bf16.Error, "--precision bf16 needs --device cuda");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    public void EvaluatesEveryCheckpointOfARunOverTrainingSteps()
    {
        var run = Directory.CreateTempSubdirectory("flame-eval-run-").FullName;
        try
        {
            var config = Flame.ModelGraphs.Config.ModelConfigs.Load("tiny-moe", ["vocab_size=50257", "layers=2"]);
            var store = new Flame.Training.Checkpoints.CheckpointStore(run, keepLast: 5);
            foreach (var (step, seed) in new[] { (100L, 1UL), (200L, 2UL) })
            {
                store.Save(new Flame.Training.Checkpoints.CheckpointState { Step = step, TokensSeen = step * 512, Config = System.Text.Json.JsonSerializer.SerializeToNode(config)! },
                    Flame.Training.Checkpoints.CheckpointForward.InitialWeights(config, seed), []);
            }

            Flame.Data.Tokenization.TokenizerFiles.SaveHuggingFace(
                Flame.Data.Tokenization.TokenizerFiles.Load(Path.Combine(AppContext.BaseDirectory, "testdata", "gpt2")), Path.Combine(run, "tokenizer.json"));
            var output = Path.Combine(run, "eval");

            var result = CliRunner.Run("eval", "--run", run, "--tasks", "piqa,boolq", "--data", Path.Combine(AppContext.BaseDirectory, "Fixtures"), "--out", output, "--shots", "0");

            Assert.AreEqual(0, result.ExitCode, result.Error);
            var csv = File.ReadAllLines(Path.Combine(output, "results.csv"));
            Assert.IsTrue(csv.Any(l => l.StartsWith("iter_0000100,100,piqa,", StringComparison.Ordinal)));
            Assert.IsTrue(csv.Any(l => l.StartsWith("iter_0000200,200,boolq,", StringComparison.Ordinal)));
            StringAssert.Contains(File.ReadAllText(Path.Combine(output, "summary.md")), "| task | metric | iter_0000100 | iter_0000200 |");

            // With the experts in two shards: the same accuracies (log-likelihoods agree to rounding; the choices do not move).
            var sharded = CliRunner.Run("eval", "--run", run, "--tasks", "piqa,boolq", "--data", Path.Combine(AppContext.BaseDirectory, "Fixtures"), "--out", output + "-sharded", "--shots", "0", "--expert-shards", "2");
            Assert.AreEqual(0, sharded.ExitCode, sharded.Error);
            static string[] Accuracies(string folder) => [.. File.ReadAllLines(Path.Combine(folder, "results.csv")).Where(l => l.Contains(",acc,", StringComparison.Ordinal)).Order()];
            Assert.HasCount(4, Accuracies(output), "acc of two tasks at two checkpoints");
            CollectionAssert.AreEqual(Accuracies(output), Accuracies(output + "-sharded"));

            var unknown = CliRunner.Run("eval", "--run", run, "--checkpoints", "iter_0000300", "--tasks", "piqa", "--data", Path.Combine(AppContext.BaseDirectory, "Fixtures"), "--out", output);
            Assert.AreEqual(1, unknown.ExitCode);
            StringAssert.Contains(unknown.Error, "iter_0000100, iter_0000200");
        }
        finally
        {
            Directory.Delete(run, recursive: true);
        }
    }

    [TestMethod]
    public void ValidationLossOnAnIndexedDataset()
    {
        var folder = Directory.CreateTempSubdirectory("flame-eval-cli-").FullName;
        try
        {
            var gpt2 = Path.Combine(AppContext.BaseDirectory, "testdata", "gpt2");
            var model = Path.Combine(folder, "m.onnx");
            CliRunner.Run("model", "export-graph", "--config", "tiny-moe", "--set", "vocab_size=50257", "--set", "layers=2", "--out", model);
            var corpus = Directory.CreateDirectory(Path.Combine(folder, "corpus")).FullName;
            for (var d = 0; d < 40; d++)
            {
                File.WriteAllText(Path.Combine(corpus, $"{d:D2}.txt"), string.Concat(Enumerable.Repeat($"Document {d} tells of the sea and the whale. ", 20)));
            }

            var prefix = Path.Combine(folder, "ds");
            Assert.AreEqual(0, CliRunner.Run("data", "tokenize", "--input", corpus, "--tokenizer", gpt2, "--out", prefix).ExitCode);

            var result = CliRunner.Run("eval", "--model", model, "--tokenizer", gpt2, "--dataset", prefix, "--seq-len", "32", "--windows", "8", "--out", Path.Combine(folder, "eval"));

            Assert.AreEqual(0, result.ExitCode, result.Error);
            StringAssert.Contains(result.Output, "m / validation: loss");
            StringAssert.Contains(File.ReadAllText(Path.Combine(folder, "eval", "summary.md")), "| validation | loss |");
            // An untrained model is close to uniform over the 50,304 outputs: loss near ln(50304) = 10.8.
            var loss = File.ReadAllLines(Path.Combine(folder, "eval", "results.csv")).Single(l => l.Contains(",validation,", StringComparison.Ordinal) && l.Contains(",loss,", StringComparison.Ordinal));
            var value = double.Parse(loss.Split(',')[6], System.Globalization.CultureInfo.InvariantCulture);
            Assert.IsTrue(value is > 9 and < 13, $"loss {value}");
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
