using Flame.Runtime;
using Microsoft.ML.OnnxRuntime;
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

    [TestMethod]
    public void TracesARunsCheckpointsOnItsDatasetsTestSplit()
    {
        var run = Directory.CreateTempSubdirectory("flame-trace-run-").FullName;
        try
        {
            var gpt2 = Path.Combine(AppContext.BaseDirectory, "testdata", "gpt2");
            var config = Flame.ModelGraphs.Config.ModelConfigs.Load("tiny-moe", ["vocab_size=50257"]);
            var store = new Flame.Training.Checkpoints.CheckpointStore(run, keepLast: 5);
            foreach (var step in new[] { 10L, 20L })
            {
                store.Save(new Flame.Training.Checkpoints.CheckpointState { Step = step, TokensSeen = 0, Config = System.Text.Json.JsonSerializer.SerializeToNode(config)! },
                    Flame.Training.Checkpoints.CheckpointForward.InitialWeights(config, (ulong)step), []);
            }

            var corpus = Directory.CreateDirectory(Path.Combine(run, "corpus")).FullName;
            for (var d = 0; d < 60; d++)
            {
                File.WriteAllText(Path.Combine(corpus, $"{d:D2}.txt"), string.Concat(Enumerable.Repeat($"Chapter {d}: the whale, the sea, the ship. ", 10)));
            }

            var prefix = Path.Combine(run, "ds");
            Assert.AreEqual(0, CliRunner.Run("data", "tokenize", "--input", corpus, "--tokenizer", gpt2, "--out", prefix).ExitCode);
            var traces = Path.Combine(run, "traces");

            var result = CliRunner.Run("trace", "--run", run, "--dataset", prefix, "--tokens", "256", "--seq-len", "32", "--out", traces);

            Assert.AreEqual(0, result.ExitCode, result.Error);
            StringAssert.Contains(result.Output, "traced 256 tokens through iter_0000010 as iter_0000010");
            Assert.IsTrue(File.Exists(Path.Combine(traces, "actives", "iter_0000020", "layer_02.parquet")));

            // The same checkpoints with their experts in two shards (ExpertParallelTests checks the numbers).
            var sharded = CliRunner.Run("trace", "--run", run, "--dataset", prefix, "--tokens", "256", "--seq-len", "32", "--out", Path.Combine(run, "traces-sharded"), "--expert-shards", "2", "--expert-devices", "cpu,cpu");
            Assert.AreEqual(0, sharded.ExitCode, sharded.Error);
            Assert.IsTrue(File.Exists(Path.Combine(run, "traces-sharded", "actives", "iter_0000020", "layer_02.parquet")));

            var refused = CliRunner.Run("trace", "--model", Path.Combine(run, "none.onnx"), "--dataset", prefix, "--out", Path.Combine(run, "t3"), "--expert-shards", "2");
            Assert.AreNotEqual(0, refused.ExitCode);
            StringAssert.Contains(refused.Error, "--expert-shards applies to the checkpoints of a --run");
        }
        finally
        {
            Directory.Delete(run, recursive: true);
        }
    }

    [TestMethod]
    public void TracesATrainedRunAndMatchesItsForwardGraph()
    {
        var folder = Directory.CreateTempSubdirectory("flame-trace-trained-").FullName;
        try
        {
            // A small MoE trained for 20 steps by `flame train`, traced by `flame trace`.
            var prefix = Path.Combine(folder, "data");
            var random = new Random(8);
            using (var writer = new Flame.Data.Indexed.IndexedDatasetWriter(prefix, 512))
            {
                for (var d = 0; d < 40; d++)
                {
                    var tokens = new int[150];
                    tokens[0] = random.Next(64);
                    for (var t = 1; t < tokens.Length; t++)
                    {
                        tokens[t] = random.NextDouble() < 0.2 ? random.Next(64) : (tokens[t - 1] * 5 + 1) % 64;
                    }

                    writer.Add(tokens);
                }

                writer.Complete();
            }

            var run = Path.Combine(folder, "run");
            var trained = CliRunner.Run("train", "--config", "tiny-moe", "--data", prefix, "--run", run, "--steps", "20", "--seq", "32", "--micro-batch", "4", "--lr", "3e-3", "--checkpoint-every", "10", "--milestones", "2");
            Assert.AreEqual(0, trained.ExitCode, trained.Error);
            var traces = Path.Combine(folder, "traces");
            var traced = CliRunner.Run("trace", "--run", run, "--dataset", prefix, "--tokens", "128", "--seq-len", "32", "--out", traces);
            Assert.AreEqual(0, traced.ExitCode, traced.Error);

            // The held-out tokens: the test split's documents in order, as `flame trace` takes them.
            using var dataset = Flame.Data.Indexed.IndexedDataset.Open(prefix);
            var heldOut = Flame.Data.Sampling.DocumentSplit.Create(dataset.Count).Test.SelectMany(d => dataset.Sequence(d).ToArray()).Take(128).Select(t => (long)t).ToArray();
            var store = new Flame.Training.Checkpoints.CheckpointStore(run);
            var forward = Flame.Onnx.Transforms.FunctionInliner.Inline(Flame.Training.Checkpoints.CheckpointForward.Build(store.Load(20)));
            using var session = new Flame.Runtime.ModelSession(Google.Protobuf.MessageExtensions.ToByteArray(forward));
            using var ids = Microsoft.ML.OnnxRuntime.OrtValue.FromArray(heldOut, 4, 32);
            using var results = session.Run(new Dictionary<string, Microsoft.ML.OnnxRuntime.OrtValue> { ["input_ids"] = ids });

            using var set = new Flame.Analysis.Traces.ParquetTraceSet(traces, 8, 512);
            var final = set.Checkpoints.Single(c => c.Step == 20);
            foreach (var layer in set.Layers)
            {
                var block = set.Read(final, layer).Single();
                CollectionAssert.AreEqual(heldOut.Select(t => (int)t).ToArray(), block.TokenIds, "row r of every file is held-out token r");
                var expected = results[Flame.ModelGraphs.Model.FlameMoeModel.TopKIndices(layer - 1)].ToArray<long>().Select(e => (int)e).ToArray();
                CollectionAssert.AreEqual(expected, block.ExpertIndices, $"layer {layer}: the traced experts are the trained model's top-k");
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
