using Flame.ModelGraphs.Config;
using Flame.ModelGraphs.Model;
using Flame.Runtime;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;

namespace Flame.ModelGraphs.Tests;

/// <summary>The optional capacity-factor mode: each expert keeps at most ceil(cf · T · k / E) tokens and the layer reports what it dropped.</summary>
[TestClass]
public sealed class CapacityFactorTests
{
    private static readonly long[] Ids = Enumerable.Range(0, 24).Select(i => (long)(i * 29 % 500)).ToArray();

    private static (float[] Logits, long[] Indices, float? Dropped) Run(ModelConfig config)
    {
        var graph = FlameMoeModel.Build(config);
        using var session = new ModelSession(graph.Model.ToByteArray());
        using var ids = OrtValue.FromArray(Ids, 2, 12);
        using var results = session.Run(new Dictionary<string, OrtValue> { [FlameMoeModel.InputIds] = ids });
        var dropped = results.Names.Contains(FlameMoeModel.DroppedFraction(1)) ? results[FlameMoeModel.DroppedFraction(1)].ToArray<float>()[0] : (float?)null;
        return (results[FlameMoeModel.Logits].ToArray<float>(), results[FlameMoeModel.TopKIndices(1)].ToArray<long>(), dropped);
    }

    [TestMethod]
    public void ATightCapacityDropsExactlyTheOverflow()
    {
        var config = ModelConfigs.Load("tiny-moe", ["layers=2", "dispatch=gather"]) with { InitStd = 0.3, CapacityFactor = 0.5 };
        var (_, indices, dropped) = Run(config);

        // T = 24 tokens, k = 2, E = 8: capacity ceil(0.5 · 24 · 2 / 8) = 3 tokens per expert.
        var perExpert = indices.GroupBy(e => e).Select(g => g.Count());
        var expected = perExpert.Sum(n => Math.Max(0, n - 3)) / 48.0;
        Assert.IsTrue(expected > 0, "the test needs some expert over capacity");
        Assert.AreEqual(expected, dropped!.Value, 1e-6);
    }

    [TestMethod]
    public void AnAmpleCapacityDropsNothingAndMatchesDropless()
    {
        var dropless = ModelConfigs.Load("tiny-moe", ["layers=2", "dispatch=gather"]) with { InitStd = 0.3 };
        var (logits, _, none) = Run(dropless);
        var (capped, _, dropped) = Run(dropless with { CapacityFactor = 8.0 });

        Assert.IsNull(none, "dropless layers have no dropped_fraction output");
        Assert.AreEqual(0f, dropped);
        CollectionAssert.AreEqual(logits, capped);
    }
}
