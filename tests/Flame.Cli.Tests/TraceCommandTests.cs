namespace Flame.Cli.Tests;

[TestClass]
public sealed class TraceCommandTests
{
    [TestMethod]
    public void TracesTwoModelsThenAnalysesThem()
    {
        var folder = Directory.CreateTempSubdirectory("flame-trace-cli-").FullName;
        try
        {
            var gpt2 = Path.Combine(AppContext.BaseDirectory, "testdata", "gpt2");
            foreach (var (name, seed) in new[] { ("early", "1"), ("late", "2") })
            {
                var export = CliRunner.Run("model", "export-graph", "--config", "tiny-moe", "--set", "vocab_size=50257", "--out", Path.Combine(folder, name + ".onnx"), "--seed", seed);
                Assert.AreEqual(0, export.ExitCode, export.Error);
            }

            var text = Path.Combine(folder, "held-out.txt");
            File.WriteAllText(text, string.Concat(Enumerable.Repeat("Call me Ishmael. Some years ago, never mind how long precisely, I thought I would sail about. ", 40)));
            var traces = Path.Combine(folder, "traces");

            var trace = CliRunner.Run("trace", "--model", Path.Combine(folder, "early.onnx"), Path.Combine(folder, "late.onnx"), "--step", "100", "200",
                "--tokenizer", gpt2, "--text", text, "--tokens", "512", "--seq-len", "64", "--out", traces);

            Assert.AreEqual(0, trace.ExitCode, trace.Error);
            Assert.IsTrue(File.Exists(Path.Combine(traces, "actives", "iter_0000200", "layer_03.parquet")), "tiny-moe's MoE layers are 2 and 3, numbered from 1");
            var analyze = CliRunner.Run("analyze", "--traces", traces, "--experts", "8", "--vocab-size", "50257", "--tokenizer", gpt2);
            Assert.AreEqual(0, analyze.ExitCode, analyze.Error);
            StringAssert.Contains(analyze.Output, "2 checkpoints x 2 MoE layers (top-2)");
            var specialization = File.ReadAllText(Path.Combine(folder, "analysis", "specialization.csv"));
            Assert.IsTrue(new[] { " years", " sail", " ago", " thought", " Call" }.Any(specialization.Contains), "tokens are shown decoded:\n" + specialization[..Math.Min(600, specialization.Length)]);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
