using Flame.ModelGraphs.Config;
using Flame.ModelGraphs.Model;
using Flame.Reference;
using Flame.Runtime;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;

namespace Flame.ModelGraphs.Tests.Reference;

/// <summary>ORT's outputs of the ONNX graph against the independent double-precision reference.</summary>
[TestClass]
public sealed class OrtMatchesReferenceTests
{
    [TestMethod]
    [DataRow("tiny-moe", 1234UL)]
    [DataRow("tiny-dense", 7UL)]
    public void LogitsAndRoutingMatchTheReference(string preset, ulong seed)
    {
        // Larger weights than the 0.02 init make routing and attention far from uniform, so mistakes show.
        var config = ModelConfigs.Load(preset) with { InitStd = 0.2 };
        var graph = FlameMoeModel.Build(config, new ForwardOptions(Seed: seed));
        var reference = new ReferenceModel(config, ReferenceWeights.For(graph.Parameters, seed));
        long[,] ids = { { 5, 17, 300, 2, 99, 5 }, { 511, 0, 42, 42, 7, 123 } };

        using var session = new ModelSession(graph.Model.ToByteArray());
        using var input = OrtValue.FromArray(ids.Cast<long>().ToArray(), 2, 6);
        using var results = session.Run(new Dictionary<string, OrtValue> { [FlameMoeModel.InputIds] = input });
        var expected = reference.Forward(ids);

        var logits = results[FlameMoeModel.Logits].ToArray<float>();
        var want = expected.Logits.Cast<double>().ToArray();
        var scale = want.Max(Math.Abs);
        var worst = logits.Select((v, i) => Math.Abs(v - want[i]) / scale).Max();
        Assert.IsTrue(worst < 1e-4, $"max relative error of the logits {worst:E2}");

        foreach (var routing in expected.Routing)
        {
            var indices = results[FlameMoeModel.TopKIndices(routing.Layer)].ToArray<long>();
            var weights = results[FlameMoeModel.TopKWeights(routing.Layer)].ToArray<float>();
            var k = config.TopK;
            for (var t = 0; t < indices.Length / k; t++)
            {
                for (var j = 0; j < k; j++)
                {
                    Assert.AreEqual(routing.TopKIndices[t, j], indices[t * k + j], $"layer {routing.Layer} token {t} slot {j}");
                    Assert.AreEqual(routing.TopKWeights[t, j], weights[t * k + j], 1e-5, $"layer {routing.Layer} token {t} slot {j}");
                }
            }
        }

        Assert.AreEqual(config.IsMoe, expected.Routing.Count > 0);
    }
}
