using Flame.ModelGraphs.Builder;
using Flame.ModelGraphs.Moe;
using Flame.Runtime;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using DataType = Flame.Onnx.Proto.TensorProto.Types.DataType;

namespace Flame.ModelGraphs.Tests;

/// <summary>SortedDispatch and SortedCombine alone, on routing chosen by hand.</summary>
[TestClass]
public sealed class SortedDispatchTests
{
    // 4 tokens (rows 10·t + [1, 2]), top-2 of 4 experts: t0 → (3, 0), t1 → (3, 1), t2 → (3, 0), t3 → (2, 3).
    private static readonly float[] X = [1, 2, 11, 12, 21, 22, 31, 32];
    private static readonly long[] Indices = [3, 0, 3, 1, 3, 0, 2, 3];
    private static readonly float[] Weights = [0.5f, 0.25f, 0.4f, 0.3f, 0.6f, 0.1f, 0.2f, 0.7f];

    [TestMethod]
    public void ExpertsGetTheirTokensInBatchesOfSimilarLoadAndCombineWeighsThemBack()
    {
        var g = new GraphBuilder("sorted");
        var x = g.Input("x", DataType.Float, 4, 2);
        var indices = g.Input("indices", DataType.Int64, 4, 2);
        var weights = g.Input("weights", DataType.Float, 4, 2);
        var batch = TokenDispatcher.DispatchSorted(g, x, new Router.Routing(null!, weights, indices), experts: 4, groups: TokenDispatcher.GroupsOf(4));
        Assert.AreEqual(2, batch.Groups, "4 experts: 2 groups of 2");
        // Loads: e3 4, e0 2, e1 1, e2 1, so the groups are {e3, e0} padded to 4 and {e1, e2} padded to 1:
        // 10 cells where padding all to the busiest would take 16. Each expert e scales its cells by 10^e.
        var scaled = g.Mul(batch.ExpertTokens, g.Constant([1000f, 1000, 1000, 1000, 1, 1, 1, 1, 10, 100], [10, 1]));
        g.Output(batch.ExpertTokens, "tokens");
        g.Output(batch.ExpertRanks, "ranks");
        g.Output(batch.GroupCells, "group_cells");
        g.Output(TokenDispatcher.CombineSorted(g, batch, scaled, x), "y");
        using var session = new ModelSession(g.ToModel(WeightsAs.Inputs).ToByteArray());
        using var xv = OrtValue.FromArray(X, 4, 2);
        using var iv = OrtValue.FromArray(Indices, 4, 2);
        using var wv = OrtValue.FromArray(Weights, 4, 2);
        using var results = session.Run(new Dictionary<string, OrtValue> { ["x"] = xv, ["indices"] = iv, ["weights"] = wv });

        CollectionAssert.AreEqual(new long[] { 1, 2, 3, 0 }, results["ranks"].ToArray<long>(), "each expert's place by load (ties: the lower index first)");
        CollectionAssert.AreEqual(new long[] { 8, 2 }, results["group_cells"].ToArray<long>());
        CollectionAssert.AreEqual(new long[] { 10, 2 }, results["tokens"].Shape);
        CollectionAssert.AreEqual(new float[] { 1, 2, 11, 12, 21, 22, 31, 32, /* e3 */ 1, 2, 21, 22, 0, 0, 0, 0, /* e0 */ 11, 12, /* e1 */ 31, 32 /* e2 */ }, results["tokens"].ToArray<float>());

        var y = results["y"].ToArray<float>();
        float[] gains = [0.5f * 1000 + 0.25f * 1, 0.4f * 1000 + 0.3f * 10, 0.6f * 1000 + 0.1f * 1, 0.2f * 100 + 0.7f * 1000];
        for (var i = 0; i < y.Length; i++)
        {
            Assert.AreEqual(gains[i / 2] * X[i], y[i], 1e-2, $"element {i}");
        }
    }
}
