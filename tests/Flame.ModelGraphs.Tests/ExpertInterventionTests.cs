using Flame.ModelGraphs.Config;
using Flame.ModelGraphs.Model;
using Flame.Onnx.Transforms;
using Flame.Runtime;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;

namespace Flame.ModelGraphs.Tests;

/// <summary>The intervention inputs: untouched at all ones, masking reroutes, zeroing keeps the routing.</summary>
[TestClass]
public sealed class ExpertInterventionTests
{
    private static readonly ModelConfig Config = ModelConfigs.Load("tiny-moe") with { InitStd = 0.2 };
    private static readonly long[] Ids = [5, 17, 300, 2, 99, 511, 0, 42];

    private static Dictionary<string, float[]> Run(bool interventions, Action<Dictionary<string, float[]>>? edit = null)
    {
        var graph = FlameMoeModel.Build(Config, new ForwardOptions(Seed: 3, ExpertInterventions: interventions));
        using var session = new ModelSession(FunctionInliner.Inline(graph.Model).ToByteArray());
        var masks = new Dictionary<string, float[]>();
        if (interventions)
        {
            foreach (var layer in graph.MoeLayers)
            {
                masks[FlameMoeModel.ExpertMask(layer)] = Enumerable.Repeat(1f, Config.Experts).ToArray();
                masks[FlameMoeModel.ExpertKeep(layer)] = Enumerable.Repeat(1f, Config.Experts).ToArray();
            }
        }

        edit?.Invoke(masks);
        var inputs = masks.ToDictionary(m => m.Key, m => OrtValue.FromArray(m.Value, Config.Experts));
        inputs[FlameMoeModel.InputIds] = OrtValue.FromArray(Ids, 1, Ids.Length);
        string[] outputs = [FlameMoeModel.Logits, .. graph.MoeLayers.Select(FlameMoeModel.TopKIndices), .. graph.MoeLayers.Select(FlameMoeModel.TopKWeights)];
        using var results = session.Run(inputs, outputs);
        var values = outputs.ToDictionary(o => o, o => o.StartsWith("topk_indices", StringComparison.Ordinal)
            ? results[o].ToArray<long>().Select(v => (float)v).ToArray() : results[o].ToArray<float>());
        foreach (var value in inputs.Values)
        {
            value.Dispose();
        }

        return values;
    }

    [TestMethod]
    public void AllOnesChangeNothing()
    {
        var plain = Run(false);
        var probed = Run(true);
        foreach (var (name, expected) in plain)
        {
            var error = expected.Zip(probed[name]).Max(t => Math.Abs(t.First - t.Second));
            Assert.IsLessThan(1e-5, error, $"{name} differs by {error}");
        }
    }

    [TestMethod]
    public void AMaskedExpertIsNeverChosenAndAZeroedOneKeepsTheRouting()
    {
        var plain = Run(true);
        var busiest = (int)plain[FlameMoeModel.TopKIndices(1)].GroupBy(e => e).OrderByDescending(g => g.Count()).First().Key;

        var masked = Run(true, m => m[FlameMoeModel.ExpertMask(1)][busiest] = 0);
        Assert.DoesNotContain((float)busiest, masked[FlameMoeModel.TopKIndices(1)], "the masked expert is replaced by the next best");
        Assert.HasCount(plain[FlameMoeModel.TopKIndices(2)].Length, masked[FlameMoeModel.TopKIndices(2)]);

        var zeroed = Run(true, m => m[FlameMoeModel.ExpertKeep(1)][busiest] = 0);
        CollectionAssert.AreEqual(plain[FlameMoeModel.TopKIndices(1)], zeroed[FlameMoeModel.TopKIndices(1)], "zeroing leaves the layer's routing as it was");
        var weights = zeroed[FlameMoeModel.TopKWeights(1)];
        var indices = zeroed[FlameMoeModel.TopKIndices(1)];
        Assert.IsTrue(indices.Zip(weights).Where(t => (int)t.First == busiest).All(t => t.Second == 0), "its combine weight is 0");
        Assert.IsTrue(plain[FlameMoeModel.Logits].Zip(zeroed[FlameMoeModel.Logits]).Any(t => Math.Abs(t.First - t.Second) > 1e-4), "the output changes");
    }
}
