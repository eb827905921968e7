using Flame.Onnx.SafeTensors;
using Flame.Runtime;
using Microsoft.ML.OnnxRuntime;

namespace Flame.Cli.Tests;

[TestClass]
public sealed class ExportCommandTests
{
    [TestMethod]
    public void ExportsTheLatestCheckpointForDownstreamTools()
    {
        var run = Directory.CreateTempSubdirectory("flame-export-").FullName;
        try
        {
            var config = Flame.ModelGraphs.Config.ModelConfigs.Load("tiny-moe", ["layers=2"]);
            var store = new Flame.Training.Checkpoints.CheckpointStore(run);
            store.Save(new Flame.Training.Checkpoints.CheckpointState { Step = 300, TokensSeen = 0, Config = System.Text.Json.JsonSerializer.SerializeToNode(config)! },
                Flame.Training.Checkpoints.CheckpointForward.InitialWeights(config, 3), []);
            File.WriteAllText(Path.Combine(run, "tokenizer.json"), "{}");

            var result = CliRunner.Run("export", "--run", run);

            Assert.AreEqual(0, result.ExitCode, result.Error);
            var folder = Path.Combine(run, "export", "iter_0000300");
            using (var session = new ModelSession(Path.Combine(folder, "model.onnx")))
            {
                CollectionAssert.Contains(session.Outputs.Select(o => o.Name).ToArray(), "topk_indices.1");
                Assert.AreEqual("input_ids", session.Inputs.Single().Name);
            }

            var model = Flame.Onnx.Models.OnnxModelFile.Load(Path.Combine(folder, "model.onnx"));
            Assert.AreEqual(8, model.IrVersion);
            Assert.AreEqual("300", model.MetadataProps.Single(m => m.Key == "flame.step").Value);
            Assert.IsTrue(model.MetadataProps.Any(m => m.Key == "flame.config"));
            using var weights = SafeTensorsFile.Open(Path.Combine(folder, "model.safetensors"));
            Assert.IsTrue(weights.Contains("layers.1.moe.experts.fc1.weight"));
            StringAssert.Contains(File.ReadAllText(Path.Combine(folder, "config.json")), "\"experts\": 8");
            Assert.IsTrue(File.Exists(Path.Combine(folder, "tokenizer.json")));

            // A second export into the same folder needs --force; a manifest guards every file.
            weights.Dispose();
            var again = CliRunner.Run("export", "--run", run);
            Assert.AreEqual(1, again.ExitCode);
            StringAssert.Contains(again.Error, "--force");
            Assert.AreEqual(0, CliRunner.Run("export", "--run", run, "--force").ExitCode);
            Assert.IsTrue(Flame.Onnx.IO.FileManifest.Verify(folder));
            Assert.IsFalse(Directory.EnumerateDirectories(Path.Combine(run, "export")).Any(d => d.Contains(".partial-") || d.Contains(".old-")), "no staging left");

            var onnx = Path.Combine(folder, "model.onnx");
            var bytes = File.ReadAllBytes(onnx);
            bytes[^10] ^= 0x01;
            File.WriteAllBytes(onnx, bytes);
            var eval = CliRunner.Run("eval", "--model", onnx, "--tokenizer", Path.Combine(AppContext.BaseDirectory, "testdata", "gpt2"), "--tasks", "lambada_openai",
                "--data", Path.Combine(AppContext.BaseDirectory, "Fixtures"), "--out", Path.Combine(run, "eval"));
            Assert.AreEqual(1, eval.ExitCode);
            StringAssert.Contains(eval.Error, "model.onnx is corrupt or was replaced");
            var served = Assert.ThrowsExactly<InvalidDataException>(() => Flame.Server.ServedModel.Load(folder));
            StringAssert.Contains(served.Message, "model.onnx is corrupt");
        }
        finally
        {
            Directory.Delete(run, recursive: true);
        }
    }

    [TestMethod]
    public void Float16WeightsHalveTheModelAndKeepItsOutputs()
    {
        var run = Directory.CreateTempSubdirectory("flame-export-").FullName;
        try
        {
            var config = Flame.ModelGraphs.Config.ModelConfigs.Load("tiny-moe", ["init_std=0.2"]);
            new Flame.Training.Checkpoints.CheckpointStore(run).Save(
                new Flame.Training.Checkpoints.CheckpointState { Step = 7, TokensSeen = 0, Config = System.Text.Json.JsonSerializer.SerializeToNode(config)! },
                Flame.Training.Checkpoints.CheckpointForward.InitialWeights(config, 3), []);
            Assert.AreEqual(0, CliRunner.Run("export", "--run", run, "--out", Path.Combine(run, "fp32")).ExitCode);
            var result = CliRunner.Run("export", "--run", run, "--out", Path.Combine(run, "fp16"), "--fp16");
            Assert.AreEqual(0, result.ExitCode, result.Error);
            StringAssert.Contains(result.Output, "decoder_with_past.onnx");

            float[] Logits(string variant, string file)
            {
                using var session = new ModelSession(Path.Combine(run, variant, file));
                var inputs = new Dictionary<string, OrtValue> { ["input_ids"] = OrtValue.FromArray(new long[] { 5, 17, 300, 2 }, 1, 4) };
                foreach (var past in session.Inputs.Where(i => i.Name.StartsWith("past_key_values.", StringComparison.Ordinal)))
                {
                    inputs[past.Name] = OrtValue.FromArray(Array.Empty<float>(), 1, config.Heads, 0, config.HeadDim);
                }

                using var results = session.Run(inputs, ["logits"]);
                var logits = results["logits"].ToArray<float>();
                foreach (var value in inputs.Values)
                {
                    value.Dispose();
                }

                return logits;
            }

            var reference = Logits("fp32", "model.onnx");
            foreach (var (variant, file) in new[] { ("fp16", "model.onnx"), ("fp32", "decoder_with_past.onnx"), ("fp16", "decoder_with_past.onnx") })
            {
                var error = reference.Zip(Logits(variant, file)).Max(t => Math.Abs(t.First - t.Second));
                Assert.IsLessThan(variant == "fp16" ? 2e-2 : 1e-5, error, $"{variant}/{file}: logits differ by {error}");
            }

            var (full, half) = (new FileInfo(Path.Combine(run, "fp32", "model.onnx")).Length, new FileInfo(Path.Combine(run, "fp16", "model.onnx")).Length);
            Assert.IsLessThan(0.6 * full, half, $"fp16 model.onnx {half} bytes vs {full}");
        }
        finally
        {
            Directory.Delete(run, recursive: true);
        }
    }

    [TestMethod]
    public void ExportedGraphsPassTheOnnxChecker()
    {
        var check = new System.Diagnostics.ProcessStartInfo("/usr/bin/python3", ["-c", "import onnx.checker"]) { RedirectStandardError = true };
        using (var probe = File.Exists("/usr/bin/python3") ? System.Diagnostics.Process.Start(check) : null)
        {
            probe?.WaitForExit();
            if (probe is null || probe.ExitCode != 0)
            {
                Assert.Inconclusive("Debian's python3-onnx is not installed (.ci/run installs it)");
            }
        }

        var run = Directory.CreateTempSubdirectory("flame-export-").FullName;
        try
        {
            var config = Flame.ModelGraphs.Config.ModelConfigs.Load("tiny-moe");
            new Flame.Training.Checkpoints.CheckpointStore(run).Save(
                new Flame.Training.Checkpoints.CheckpointState { Step = 1, TokensSeen = 0, Config = System.Text.Json.JsonSerializer.SerializeToNode(config)! },
                Flame.Training.Checkpoints.CheckpointForward.InitialWeights(config, 1), []);
            Assert.AreEqual(0, CliRunner.Run("export", "--run", run, "--out", Path.Combine(run, "e")).ExitCode);
            foreach (var file in new[] { "model.onnx", "decoder_with_past.onnx" })
            {
                var start = new System.Diagnostics.ProcessStartInfo("/usr/bin/python3", ["-c", "import onnx, sys; onnx.checker.check_model(onnx.load(sys.argv[1]))", Path.Combine(run, "e", file)])
                {
                    RedirectStandardError = true,
                };
                using var checker = System.Diagnostics.Process.Start(start)!;
                var error = checker.StandardError.ReadToEnd();
                checker.WaitForExit();
                Assert.AreEqual(0, checker.ExitCode, $"onnx.checker on {file}: {error}");
            }
        }
        finally
        {
            Directory.Delete(run, recursive: true);
        }
    }

    [TestMethod]
    public void ARunWithoutCheckpointsIsAClearError()
    {
        var run = Directory.CreateTempSubdirectory("flame-export-").FullName;
        try
        {
            var result = CliRunner.Run("export", "--run", run);
            Assert.AreEqual(1, result.ExitCode);
            StringAssert.Contains(result.Error, "has no checkpoint yet");
        }
        finally
        {
            Directory.Delete(run, recursive: true);
        }
    }
}
