using Flame.ModelGraphs.Builder;
using Flame.ModelGraphs.Config;
using Flame.ModelGraphs.Model;
using Flame.Runtime;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;

namespace Flame.ModelGraphs.Tests;

[TestClass]
public sealed class StructureTests
{
    [TestMethod]
    public void TheLargestModelBuildsWithoutAllocatingItsWeights()
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        var graph = FlameMoeModel.Build(ModelConfigs.Load("flame-moe-1.7b"), new ForwardOptions(WeightsAs.Inputs));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.AreEqual(ParameterCount.Of(ModelConfigs.Load("flame-moe-1.7b")).Total, graph.Parameters.Sum(p => p.ElementCount));
        Assert.IsTrue(allocated < 1L << 30, $"building the structure allocated {allocated >> 20} MiB; the weights alone are 41 GB");
        Assert.AreEqual(17, graph.MoeLayers.Count);
    }

    [TestMethod]
    public void RoutingOutputsCountTokensInADimensionNamedTokens()
    {
        var graph = FlameMoeModel.Build(ModelConfigs.Load("tiny-moe"), new ForwardOptions(WeightsAs.Inputs));
        var layer = graph.MoeLayers[0];
        foreach (var name in new[] { FlameMoeModel.RouterLogits(layer), FlameMoeModel.TopKIndices(layer), FlameMoeModel.TopKWeights(layer) })
        {
            var output = graph.Model.Graph.Output.Single(o => o.Name == name);
            Assert.AreEqual("tokens", output.Type.TensorType.Shape.Dim[0].DimParam, name);
        }
    }

    [TestMethod]
    public void EveryParameterHasTheContractName()
    {
        var names = FlameMoeModel.Build(ModelConfigs.Load("tiny-moe"), new ForwardOptions(WeightsAs.Inputs)).Parameters.Select(p => p.Name).ToHashSet();
        foreach (var name in new[]
        {
            "embed.weight", "lm_head.weight", "final_norm.weight",
            "layers.0.attn_norm.weight", "layers.0.attn.qkv.weight", "layers.0.attn.out.weight", "layers.0.mlp_norm.weight",
            "layers.0.mlp.fc1.weight", "layers.0.mlp.fc2.weight",
            "layers.1.moe.router.weight", "layers.1.moe.experts.fc1.weight", "layers.1.moe.experts.fc2.weight",
            "layers.1.moe.shared.fc1.weight", "layers.1.moe.shared.fc2.weight",
        })
        {
            Assert.IsTrue(names.Contains(name), name);
        }
    }

    [TestMethod]
    public void Flame38mLayersLoadInOrtWithSeededWeights()
    {
        // The 38m model's dense layer and one of its MoE layers (64 experts, top-6, full vocabulary);
        // the whole 9-layer model takes ORT ~45 s to initialise (docs/operators.md), too long for every test run.
        var graph = FlameMoeModel.Build(ModelConfigs.Load("flame-moe-38m", ["layers=2"]));
        using var session = new ModelSession(graph.Model.ToByteArray());
        using var ids = OrtValue.FromArray(new long[] { 1, 2, 3, 4 }, 1, 4);
        using var results = session.Run(new Dictionary<string, OrtValue> { [FlameMoeModel.InputIds] = ids }, [FlameMoeModel.Logits, FlameMoeModel.TopKIndices(1)]);
        CollectionAssert.AreEqual(new long[] { 1, 4, 50_304 }, results[FlameMoeModel.Logits].Shape);
        Assert.IsTrue(results[FlameMoeModel.TopKIndices(1)].ToArray<long>().All(e => e is >= 0 and < 64));
    }

    [TestMethod]
    public void LaterTokensDoNotChangeEarlierLogits()
    {
        var graph = FlameMoeModel.Build(ModelConfigs.Load("tiny-moe") with { InitStd = 0.2 });
        using var session = new ModelSession(graph.Model.ToByteArray());
        float[] Logits(long[] ids)
        {
            using var input = OrtValue.FromArray(ids, 1, ids.Length);
            using var results = session.Run(new Dictionary<string, OrtValue> { [FlameMoeModel.InputIds] = input }, [FlameMoeModel.Logits]);
            return results[FlameMoeModel.Logits].ToArray<float>();
        }

        var a = Logits([10, 20, 30, 40]);
        var b = Logits([10, 20, 31, 499]);
        var v = ModelConfigs.Load("tiny-moe").PaddedVocab;
        // Equal to rounding: the experts' batches are shaped by all tokens' loads, and a row's float sums may
        // round differently in a batch of another shape; a leak from later positions would move logits by far more.
        var earlier = a[..(2 * v)].Zip(b[..(2 * v)]).Max(p => Math.Abs(p.First - p.Second));
        Assert.IsLessThan(1e-5, earlier, "positions 0 and 1 must not see positions 2 and 3");
        CollectionAssert.AreNotEqual(a[(2 * v)..], b[(2 * v)..]);
    }

    [TestMethod]
    public void ShapeMistakesAreCaughtWhileBuilding()
    {
        var g = new GraphBuilder("bad");
        var a = g.Input("a", Flame.Onnx.Proto.TensorProto.Types.DataType.Float, 2, 3);
        var b = g.Input("b", Flame.Onnx.Proto.TensorProto.Types.DataType.Float, 4, 5);
        StringAssert.Contains(Assert.ThrowsExactly<ShapeError>(() => g.MatMul(a, b)).Message, "inner dimensions");
        StringAssert.Contains(Assert.ThrowsExactly<ShapeError>(() => g.Add(a, b)).Message, "broadcast");
    }

    [TestMethod]
    public void Opset17IsTheDefaultAndHigherOpsetsGiveTheSameLogits()
    {
        var config = ModelConfigs.Load("tiny-moe") with { InitStd = 0.2 };
        var graph = FlameMoeModel.Build(config);
        Assert.AreEqual(8, graph.Model.IrVersion);
        Assert.AreEqual(17, graph.Model.OpsetImport.Single(o => o.Domain == "").Version);
        Assert.AreEqual("flame-onnx", graph.Model.ProducerName);

        float[] Logits(Flame.Onnx.Proto.ModelProto model)
        {
            using var session = new ModelSession(model.ToByteArray());
            using var ids = OrtValue.FromArray(new long[] { 7, 8, 9 }, 1, 3);
            using var results = session.Run(new Dictionary<string, OrtValue> { [FlameMoeModel.InputIds] = ids }, [FlameMoeModel.Logits]);
            return results[FlameMoeModel.Logits].ToArray<float>();
        }

        foreach (var opset in new[] { 18, 21 })
        {
            var higher = FlameMoeModel.Build(config, new ForwardOptions(Opset: opset)).Model;
            Assert.AreEqual(opset, higher.OpsetImport.Single(o => o.Domain == "").Version);
            CollectionAssert.AreEqual(Logits(graph.Model), Logits(higher), $"opset {opset}");
        }
    }
}
