using System.Text.Json;
using System.Text.Json.Nodes;
using Flame.ModelGraphs.Config;
using Flame.ModelGraphs.Model;
using Flame.Runtime;
using Flame.Training.Checkpoints;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using CheckpointState = Flame.Training.Checkpoints.CheckpointState;

namespace Flame.Training.Tests.Checkpoints;

[TestClass]
public sealed class CheckpointForwardTests
{
    [TestMethod]
    public void ACheckpointsForwardEqualsTheGraphBuiltWithTheSameWeights()
    {
        var run = Directory.CreateTempSubdirectory("flame-ckpt-fwd-").FullName;
        try
        {
            var config = ModelConfigs.Load("tiny-moe") with { InitStd = 0.2 };
            var store = new CheckpointStore(run);
            store.Save(new CheckpointState { Step = 7, TokensSeen = 0, Config = JsonSerializer.SerializeToNode(config)! },
                CheckpointForward.InitialWeights(config, seed: 11), []);

            var fromCheckpoint = CheckpointForward.Build(store.Load(7));
            var direct = FlameMoeModel.Build(config, new ForwardOptions(Seed: 11)).Model;

            Assert.AreEqual("7", fromCheckpoint.MetadataProps.Single(m => m.Key == "flame.step").Value);
            Assert.AreEqual(1, fromCheckpoint.Graph.Input.Count, "only input_ids remains an input");
            CollectionAssert.AreEqual(Logits(direct), Logits(fromCheckpoint));
            using var supplied = CheckpointForward.OpenSession(store.Load(7), SessionSettings.Default);
            CollectionAssert.AreEqual(Logits(direct), Logits(supplied), "the session holding the weights computes the same");
        }
        finally
        {
            Directory.Delete(run, recursive: true);
        }
    }

    [TestMethod]
    public void AWeightOfTheWrongShapeIsNamed()
    {
        var run = Directory.CreateTempSubdirectory("flame-ckpt-fwd-").FullName;
        try
        {
            var config = ModelConfigs.Load("tiny-dense");
            var store = new CheckpointStore(run);
            var weights = CheckpointForward.InitialWeights(config with { Hidden = 32, Heads = 2 }, 1);
            store.Save(new CheckpointState { Step = 1, TokensSeen = 0, Config = JsonSerializer.SerializeToNode(config)! }, weights, []);

            var error = Assert.ThrowsExactly<InvalidDataException>(() => CheckpointForward.Build(store.Load(1)));
            StringAssert.Contains(error.Message, "embed.weight");
            error = Assert.ThrowsExactly<InvalidDataException>(() => CheckpointForward.OpenSession(store.Load(1), SessionSettings.Default));
            StringAssert.Contains(error.Message, "embed.weight");
        }
        finally
        {
            Directory.Delete(run, recursive: true);
        }
    }

    private static float[] Logits(Flame.Onnx.Proto.ModelProto model)
    {
        using var session = new ModelSession(model.ToByteArray());
        return Logits(session);
    }

    private static float[] Logits(ModelSession session)
    {
        using var ids = OrtValue.FromArray(new long[] { 1, 2, 3, 4, 5 }, 1, 5);
        using var results = session.Run(new Dictionary<string, OrtValue> { [FlameMoeModel.InputIds] = ids }, [FlameMoeModel.Logits]);
        return results[FlameMoeModel.Logits].ToArray<float>();
    }
}
