namespace Flame.Cli.Tests;

[TestClass]
public sealed class ImportCommandTests
{
    private static string Release => Path.Combine(AppContext.BaseDirectory, "Megatron", "release");

    [TestMethod]
    public void AnImportedReleaseIsTracedAnalysedEvaluatedAndExportedAsItIs()
    {
        var folder = Directory.CreateTempSubdirectory("flame-import-cli-").FullName;
        try
        {
            // A byte-level tokenizer of 300 tokens: padded to 384 rows, as the fixture's embedding has.
            var corpus = Directory.CreateDirectory(Path.Combine(folder, "corpus")).FullName;
            File.WriteAllText(Path.Combine(corpus, "a.txt"), string.Concat(Enumerable.Repeat("the whale and the sea and the ship. ", 50)));
            var tokenizer = Path.Combine(folder, "tokenizer.json");
            Assert.AreEqual(0, CliRunner.Run("tokenizer", "train", "--input", corpus, "--vocab-size", "300", "--out", tokenizer).ExitCode);

            var run = Path.Combine(folder, "run");
            var import = CliRunner.Run("import", "megatron", "--checkpoint", Release, "--all", "--tokenizer", tokenizer, "--out", run);
            Assert.AreEqual(0, import.ExitCode, import.Error);
            StringAssert.Contains(import.Output, "1 dense then 2 MoE layers of 8 experts (top-2");
            StringAssert.Contains(import.Output, "2 checkpoint(s) (iter_0000010, iter_0000020)");
            Assert.IsTrue(File.Exists(Path.Combine(run, "tokenizer.json")));

            var prefix = SmallDataset.Write(folder, documents: 40, vocabulary: 300, length: 64, seed: 3, name: "held-out");

            var traces = Path.Combine(folder, "traces");
            var trace = CliRunner.Run("trace", "--run", run, "--dataset", prefix, "--tokens", "96", "--seq-len", "16", "--out", traces);
            Assert.AreEqual(0, trace.ExitCode, trace.Error);
            foreach (var checkpoint in new[] { "iter_0000010", "iter_0000020" })
            {
                Assert.IsTrue(File.Exists(Path.Combine(traces, "actives", checkpoint, "layer_02.parquet")), "MoE layers are 2 and 3, numbered from 1");
                Assert.IsTrue(File.Exists(Path.Combine(traces, "actives", checkpoint, "layer_03.parquet")));
            }

            var analyze = CliRunner.Run("analyze", "--traces", traces, "--experts", "8", "--vocab-size", "384");
            Assert.AreEqual(0, analyze.ExitCode, analyze.Error);
            StringAssert.Contains(analyze.Output, "2 checkpoints x 2 MoE layers (top-2)");

            var eval = CliRunner.Run("eval", "--run", run, "--dataset", prefix, "--seq-len", "16", "--windows", "4", "--out", Path.Combine(folder, "eval"));
            Assert.AreEqual(0, eval.ExitCode, eval.Error);

            var export = CliRunner.Run("export", "--run", run);
            Assert.AreEqual(0, export.ExitCode, export.Error);
            Assert.IsTrue(File.Exists(Path.Combine(run, "export", "iter_0000020", "model.onnx")));
            Assert.IsTrue(File.Exists(Path.Combine(run, "export", "iter_0000020", "tokenizer.json")));

            // serve loads the export as it is: the model's routing comes back for each MoE layer.
            using var served = Flame.Server.ServedModel.Load(Path.Combine(run, "export", "iter_0000020"));
            var forward = served.Forward(served.Tokenizer.Encode("the whale and the sea"), Flame.Server.ExpertInterventions.None);
            CollectionAssert.AreEqual(new[] { 1, 2 }, forward.Routing.Keys.Order().ToArray());
            Assert.AreEqual(384, forward.Vocabulary);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    public void BadInputIsAClearErrorAndWritesNothing()
    {
        var folder = Directory.CreateTempSubdirectory("flame-import-bad-").FullName;
        try
        {
            var run = Path.Combine(folder, "run");
            var missing = CliRunner.Run("import", "megatron", "--checkpoint", Path.Combine(folder, "nowhere"), "--out", run);
            Assert.AreNotEqual(0, missing.ExitCode);
            StringAssert.Contains(missing.Error, "nowhere does not exist");

            var notACheckpoint = CliRunner.Run("import", "megatron", "--checkpoint", folder, "--out", run);
            Assert.AreNotEqual(0, notACheckpoint.ExitCode);
            StringAssert.Contains(notACheckpoint.Error, "neither a Megatron checkpoint");
            Assert.IsFalse(notACheckpoint.Error.Contains("   at ", StringComparison.Ordinal), "no stack trace:\n" + notACheckpoint.Error);
            Assert.IsFalse(Directory.Exists(run));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    public void WithTheOptimizersStateTrainingContinuesWithOurLoop()
    {
        var folder = Directory.CreateTempSubdirectory("flame-import-continue-").FullName;
        try
        {
            var prefix = SmallDataset.Write(folder, documents: 40, vocabulary: 384, length: 64, seed: 5);

            var run = Path.Combine(folder, "run");
            var refused = CliRunner.Run("import", "megatron", "--checkpoint", Release, "--with-optimizer", "--out", run);
            Assert.AreNotEqual(0, refused.ExitCode);
            StringAssert.Contains(refused.Error, "--data");

            var import = CliRunner.Run("import", "megatron", "--checkpoint", Release, "--all", "--with-optimizer", "--data", prefix, "--out", run);
            Assert.AreEqual(0, import.ExitCode, import.Error);
            StringAssert.Contains(import.Output, "flame train --resume");

            var store = new Flame.Training.Checkpoints.CheckpointStore(run);
            using (var optimizer = store.Load(20).OpenOptimizer())
            using (var weights = store.Load(20).OpenWeights())
            {
                // The fixture's optimizer state: exp_avg = w / 2 and exp_avg_sq = w² of the fp32 master weights w.
                var w = weights.Read<float>("layers.1.moe.experts.fc1.weight");
                CollectionAssert.AreEqual(w.Select(v => v * 0.5f).ToArray(), optimizer.Read<float>("layers.1.moe.experts.fc1.weight.exp_avg"));
                CollectionAssert.AreEqual(w.Select(v => (float)((double)v * v)).ToArray(), optimizer.Read<float>("layers.1.moe.experts.fc1.weight.exp_avg_sq"));
                Assert.IsTrue(w.Any(v => BitConverter.SingleToInt32Bits(v) % 65536 != 0), "the weights are the fp32 masters, not the bf16 model weights");
            }

            var resume = CliRunner.Run("train", "--resume", run, "--steps", "22");
            Assert.AreEqual(0, resume.ExitCode, resume.Error);
            StringAssert.Contains(resume.Output, "resuming");
            Assert.AreEqual(22, store.LatestStep());
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
