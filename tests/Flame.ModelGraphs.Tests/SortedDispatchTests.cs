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
    // 3 tokens (rows 10·t + [1, 2]), top-2 of 3 experts: t0 → (2, 0), t1 → (2, 1), t2 → (2, 0).
    private static readonly float[] X = [1, 2, 11, 12, 21, 22];
    private static readonly long[] Indices = [2, 0, 2, 1, 2, 0];
    private static readonly float[] Weights = [0.5f, 0.25f, 0.4f, 0.3f, 0.6f, 0.1f];

    [TestMethod]
    public void ExpertsGetTheirTokensInAPaddedBatchAndCombineWeighsThemBack()
    {
        var g = new GraphBuilder("sorted");
        var x = g.Input("x", DataType.Float, 3, 2);
        var indices = g.Input("indices", DataType.Int64, 3, 2);
        var weights = g.Input("weights", DataType.Float, 3, 2);
        var batch = TokenDispatcher.DispatchSorted(g, x, new Router.Routing(null!, weights, indices), experts: 3);
        // Each expert e scales its tokens by 10^e, so the combined row shows who contributed what.
        var scaled = g.Mul(batch.ExpertTokens, g.Constant([1f, 10f, 100f], [3, 1, 1]));
        g.Output(batch.ExpertTokens, "tokens");
        g.Output(TokenDispatcher.CombineSorted(g, batch, scaled, x), "y");
        using var session = new ModelSession(g.ToModel(WeightsAs.Inputs).ToByteArray());
        using var xv = OrtValue.FromArray(X, 3, 2);
        using var iv = OrtValue.FromArray(Indices, 3, 2);
        using var wv = OrtValue.FromArray(Weights, 3, 2);
        using var results = session.Run(new Dictionary<string, OrtValue> { ["x"] = xv, ["indices"] = iv, ["weights"] = wv });

        // Expert 2 is the busiest (3 tokens), so C = 3; expert 0 has t0, t2; expert 1 has t1; padding reads zeros.
        CollectionAssert.AreEqual(new long[] { 3, 3, 2 }, results["tokens"].Shape);
        CollectionAssert.AreEqual(new float[] { 1, 2, 21, 22, 0, 0, /**/ 11, 12, 0, 0, 0, 0, /**/ 1, 2, 11, 12, 21, 22 }, results["tokens"].ToArray<float>());

        var y = results["y"].ToArray<float>();
        float[] expected =
        [
            (0.5f * 100 + 0.25f * 1) * 1, (0.5f * 100 + 0.25f * 1) * 2,
            (0.4f * 100 + 0.3f * 10) * 11, (0.4f * 100 + 0.3f * 10) * 12,
            (0.6f * 100 + 0.1f * 1) * 21, (0.6f * 100 + 0.1f * 1) * 22,
        ];
        for (var i = 0; i < y.Length; i++)
        {
            Assert.AreEqual(expected[i], y[i], 1e-3, $"element {i}");
        }
    }
}
