using Flame.ModelGraphs.Builder;
using Flame.ModelGraphs.Moe;
using Flame.Runtime;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using DataType = Flame.Onnx.Proto.TensorProto.Types.DataType;

namespace Flame.ModelGraphs.Tests;

/// <summary>The ai.flame operators alone, through ORT, against hand computation.</summary>
[TestClass]
public sealed class FlameFunctionTests
{
    /// <summary>A graph: router over given logits (identity router weight), then a full dropless MoE of "experts" that scale by (e + 1).</summary>
    private static (float[] Weights, long[] Indices, float[] Output) Route(float[] logits, int tokens, int experts, int k)
    {
        var g = new GraphBuilder("route");
        var x = g.Input("x", DataType.Float, tokens, experts);
        var identity = g.Input("w", DataType.Float, experts, experts);
        var outputs = g.Call(Functions.FlameFunctions.TopKRouter(g.Opset), [x, identity],
            [(DataType.Float, [tokens, experts]), (DataType.Float, [tokens, k]), (DataType.Int64, [tokens, k])], Functions.FlameFunctions.TopKAttribute(k));
        var routing = new Router.Routing(outputs[0], outputs[1], outputs[2]);
        var y = g.ZerosLike(x);
        for (var e = 0; e < experts; e++)
        {
            var dispatched = TokenDispatcher.Dispatch(g, x, routing, e);
            y = TokenDispatcher.Combine(g, y, dispatched, g.Mul(dispatched.Tokens, g.Constant((float)(e + 1))));
        }

        g.Output(routing.Weights, "weights");
        g.Output(routing.Indices, "indices");
        g.Output(y, "y");
        using var session = new ModelSession(g.ToModel(WeightsAs.Inputs).ToByteArray());
        var eye = new float[experts * experts];
        for (var e = 0; e < experts; e++)
        {
            eye[e * experts + e] = 1;
        }

        using var xv = OrtValue.FromArray(logits, tokens, experts);
        using var wv = OrtValue.FromArray(eye, experts, experts);
        using var results = session.Run(new Dictionary<string, OrtValue> { ["x"] = xv, ["w"] = wv });
        return (results["weights"].ToArray<float>(), results["indices"].ToArray<long>(), results["y"].ToArray<float>());
    }

    private static double[] Softmax(float[] row)
    {
        var e = row.Select(v => Math.Exp(v)).ToArray();
        return e.Select(v => v / e.Sum()).ToArray();
    }

    [TestMethod]
    public void TopKWeightsAreTheFullSoftmaxProbabilitiesNotRenormalised()
    {
        float[] logits = [1, 3, 2, 0];
        var (weights, indices, _) = Route(logits, 1, 4, 2);
        var probs = Softmax(logits);
        CollectionAssert.AreEqual(new long[] { 1, 2 }, indices);
        Assert.AreEqual(probs[1], weights[0], 1e-6);
        Assert.AreEqual(probs[2], weights[1], 1e-6);
        Assert.IsTrue(weights.Sum() < 1, "not renormalised");
    }

    [TestMethod]
    public void TiesGoToTheLowerExpert()
    {
        var (_, indices, _) = Route([2, 5, 5, 5], 1, 4, 2);
        CollectionAssert.AreEqual(new long[] { 1, 2 }, indices);
    }

    [TestMethod]
    public void KOfOneAndKOfAllExperts()
    {
        float[] logits = [0.5f, -1, 2];
        var (_, one, outOne) = Route(logits, 1, 3, 1);
        CollectionAssert.AreEqual(new long[] { 2 }, one);
        var p = Softmax(logits);
        // Each expert e multiplies its input by e + 1; the token's x is its logits row.
        Assert.AreEqual(p[2] * 3 * logits[0], outOne[0], 1e-5);

        var (_, all, outAll) = Route(logits, 1, 3, 3);
        CollectionAssert.AreEquivalent(new long[] { 0, 1, 2 }, all);
        var scale = p[0] * 1 + p[1] * 2 + p[2] * 3;
        Assert.AreEqual(scale * logits[1], outAll[1], 1e-5);
    }

    [TestMethod]
    public void EveryTokenOnTheSameExpertAndExpertsWithNoTokens()
    {
        // Three tokens that all prefer expert 3 first and expert 0 second; experts 1 and 2 receive nothing.
        float[] logits = [1, -5, -5, 4, 2, -3, -3, 6, 0.5f, -9, -9, 1];
        var (_, indices, output) = Route(logits, 3, 4, 2);
        CollectionAssert.AreEqual(new long[] { 3, 0, 3, 0, 3, 0 }, indices);
        for (var t = 0; t < 3; t++)
        {
            var row = logits.Skip(t * 4).Take(4).ToArray();
            var p = Softmax(row);
            var scale = p[3] * 4 + p[0] * 1;
            for (var j = 0; j < 4; j++)
            {
                Assert.AreEqual(scale * row[j], output[t * 4 + j], 1e-4, $"token {t}");
            }
        }
    }
}
