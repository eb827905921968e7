using Flame.ModelGraphs.Config;
using Flame.ModelGraphs.Model;
using Flame.Onnx.Transforms;
using Flame.Runtime;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;

namespace Flame.ModelGraphs.Tests;

[TestClass]
public sealed class FunctionInlinerTests
{
    [TestMethod]
    public void TheInlinedModelComputesExactlyWhatTheFunctionModelDoes()
    {
        var graph = FlameMoeModel.Build(ModelConfigs.Load("tiny-moe") with { InitStd = 0.2 });
        var inlined = FunctionInliner.Inline(graph.Model);

        Assert.IsEmpty(inlined.Functions);
        Assert.IsFalse(inlined.Graph.Node.Any(n => n.Domain == "ai.flame"));
        Assert.IsTrue(inlined.Graph.Node.Any(n => n.OpType == "TopK"), "the router body is in the graph");
        Assert.AreEqual(inlined.Graph.Node.Count, inlined.Graph.Node.Select(n => n.Name).Distinct().Count(), "node names stay unique");

        float[] Run(byte[] model)
        {
            using var session = new ModelSession(model);
            using var ids = OrtValue.FromArray(new long[] { 3, 1, 4, 1, 5, 9, 2, 6 }, 2, 4);
            using var results = session.Run(new Dictionary<string, OrtValue> { [FlameMoeModel.InputIds] = ids });
            return results[FlameMoeModel.Logits].ToArray<float>().Concat(results[FlameMoeModel.TopKWeights(1)].ToArray<float>()).ToArray();
        }

        CollectionAssert.AreEqual(Run(graph.Model.ToByteArray()), Run(inlined.ToByteArray()));
    }
}
