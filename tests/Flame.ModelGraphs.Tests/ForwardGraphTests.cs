using Flame.ModelGraphs.Builder;
using Flame.ModelGraphs.Config;
using Flame.ModelGraphs.Model;
using Flame.Runtime;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;

namespace Flame.ModelGraphs.Tests;

[TestClass]
public sealed class ForwardGraphTests
{
    private static Dictionary<string, OrtValue> Ids(long[] ids, int batch) =>
        new() { [FlameMoeModel.InputIds] = OrtValue.FromArray(ids, batch, ids.Length / batch) };

    [TestMethod]
    [DataRow("tiny-moe")]
    [DataRow("tiny-dense")]
    public void OrtRunsTheForwardGraph(string preset)
    {
        var config = ModelConfigs.Load(preset);
        var graph = FlameMoeModel.Build(config);
        using var session = new ModelSession(graph.Model.ToByteArray());
        var ids = Enumerable.Range(0, 2 * 7).Select(i => (long)(i * 37 % config.VocabSize)).ToArray();

        using var results = session.Run(Ids(ids, 2));

        CollectionAssert.AreEqual(new long[] { 2, 7, config.PaddedVocab }, results[FlameMoeModel.Logits].Shape);
        Assert.IsTrue(results[FlameMoeModel.Logits].ToArray<float>().All(float.IsFinite));
        foreach (var layer in graph.MoeLayers)
        {
            CollectionAssert.AreEqual(new long[] { 14, config.TopK }, results[FlameMoeModel.TopKIndices(layer)].Shape);
            CollectionAssert.AreEqual(new long[] { 14, config.Experts }, results[FlameMoeModel.RouterLogits(layer)].Shape);
        }

        Assert.AreEqual(config.IsMoe ? config.Layers - config.DenseLayers : 0, graph.MoeLayers.Count);
    }
}
