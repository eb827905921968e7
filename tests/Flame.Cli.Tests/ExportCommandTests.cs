using Flame.Onnx.SafeTensors;
using Flame.Runtime;

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
            using (var session = new InferenceSession(Path.Combine(folder, "model.onnx")))
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
