using Flame.Runtime;
using Flame.Training.Optimization;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;

namespace Flame.Training.Tests.Optimization;

/// <summary>The ONNX optimizer step against a plain-C# AdamW (double precision) written from the formulas.</summary>
[TestClass]
public sealed class AdamWGraphTests
{
    private static readonly Parameter Matrix = new("layers.0.mlp.fc1.weight", [3, 4]);
    private static readonly Parameter Norm = new("layers.0.mlp_norm.weight", [4]);

    [TestMethod]
    [DataRow(0.05f, 1f, DisplayName = "small gradients: no clipping")]
    [DataRow(5f, 1f, DisplayName = "large gradients: clipped to norm 1")]
    [DataRow(5f, 1024f, DisplayName = "loss-scaled gradients: unscaled, then clipped")]
    public void MatchesAReferenceAdamW(float gradientScale, float lossScale)
    {
        var settings = new AdamWSettings();
        var random = new Random(7);
        float[] Random(long n, float scale) => Enumerable.Range(0, (int)n).Select(_ => (float)(random.NextDouble() * 2 - 1) * scale).ToArray();
        var state = new[] { Matrix, Norm }.ToDictionary(p => p, p =>
        {
            var n = p.Shape.Aggregate(1L, (a, b) => a * b);
            return (P: Random(n, 1), G: Random(n, gradientScale), M: Random(n, 0.1f), V: Random(n, 0.01f).Select(Math.Abs).ToArray());
        });
        const float lr = 3e-4f, step = 3;

        using var session = new ModelSession(AdamWGraph.Build([Matrix, Norm], settings).ToByteArray());
        var inputs = new Dictionary<string, OrtValue>
        {
            [AdamWGraph.LearningRate] = OrtValue.FromArray(new[] { lr }),
            [AdamWGraph.Step] = OrtValue.FromArray(new[] { step }),
            [AdamWGraph.GradScale] = OrtValue.FromArray(new[] { lossScale }),
        };
        foreach (var (p, s) in state)
        {
            inputs[p.Name] = OrtValue.FromArray(s.P, p.Shape);
            inputs[p.Gradient] = OrtValue.FromArray(s.G.Select(g => g * lossScale).ToArray(), p.Shape);
            inputs[p.FirstMoment] = OrtValue.FromArray(s.M, p.Shape);
            inputs[p.SecondMoment] = OrtValue.FromArray(s.V, p.Shape);
        }

        using var results = session.Run(inputs);

        // The reference, in double.
        var norm = Math.Sqrt(state.Values.Sum(s => s.G.Sum(g => (double)g * g)));
        var clip = Math.Min(1, settings.MaxGradNorm / (norm + 1e-6));
        Assert.AreEqual(norm, results[AdamWGraph.GradNorm].ToArray<float>()[0], norm * 1e-5);
        Assert.AreEqual(clip, results[AdamWGraph.ClipCoefficient].ToArray<float>()[0], 1e-6);
        Assert.AreEqual(gradientScale > 1, clip < 1, "the large case must exercise clipping");
        Assert.IsTrue(results[AdamWGraph.GradsFinite].ToArray<bool>()[0]);
        foreach (var (p, s) in state)
        {
            var updated = results[Parameter.Updated(p.Name)].ToArray<float>();
            var m = results[Parameter.Updated(p.FirstMoment)].ToArray<float>();
            var v = results[Parameter.Updated(p.SecondMoment)].ToArray<float>();
            for (var i = 0; i < s.P.Length; i++)
            {
                var g = s.G[i] * clip;
                var mExpected = settings.Beta1 * s.M[i] + (1 - settings.Beta1) * g;
                var vExpected = settings.Beta2 * s.V[i] + (1 - settings.Beta2) * g * g;
                var mHat = mExpected / (1 - Math.Pow(settings.Beta1, step));
                var vHat = vExpected / (1 - Math.Pow(settings.Beta2, step));
                var decay = p.Decays ? settings.WeightDecay : 0;
                var pExpected = s.P[i] * (1 - lr * decay) - lr * mHat / (Math.Sqrt(vHat) + settings.Epsilon);
                Assert.AreEqual(mExpected, m[i], 1e-6, $"{p.Name} m[{i}]");
                Assert.AreEqual(vExpected, v[i], 1e-7, $"{p.Name} v[{i}]");
                Assert.AreEqual(pExpected, updated[i], 1e-6, $"{p.Name}[{i}]");
            }
        }

        foreach (var value in inputs.Values)
        {
            value.Dispose();
        }
    }

    [TestMethod]
    [DataRow(float.PositiveInfinity)]
    [DataRow(float.NaN)]
    public void ANonFiniteGradientUpdatesNothing(float bad)
    {
        using var session = new ModelSession(AdamWGraph.Build([Matrix, Norm], new AdamWSettings(), skipNonFinite: true).ToByteArray());
        var values = new Dictionary<string, float[]>
        {
            [AdamWGraph.LearningRate] = [1e-3f], [AdamWGraph.Step] = [1], [AdamWGraph.GradScale] = [65536],
        };
        foreach (var p in new[] { Matrix, Norm })
        {
            var n = (int)p.Shape.Aggregate(1L, (a, b) => a * b);
            values[p.Name] = Enumerable.Range(0, n).Select(i => 0.1f * i).ToArray();
            values[p.Gradient] = Enumerable.Repeat(1f, n).ToArray();
            values[p.FirstMoment] = Enumerable.Repeat(0.01f, n).ToArray();
            values[p.SecondMoment] = Enumerable.Repeat(0.001f, n).ToArray();
        }

        values[Norm.Gradient][2] = bad;
        var inputs = values.ToDictionary(v => v.Key, v => OrtValue.FromArray(v.Value, v.Key == AdamWGraph.LearningRate || v.Key == AdamWGraph.Step || v.Key == AdamWGraph.GradScale ? [] : (v.Key.StartsWith(Matrix.Name) ? Matrix.Shape : Norm.Shape)));
        using var results = session.Run(inputs);

        Assert.IsFalse(results[AdamWGraph.GradsFinite].ToArray<bool>()[0]);
        foreach (var p in new[] { Matrix, Norm })
        {
            CollectionAssert.AreEqual(values[p.Name], results[Parameter.Updated(p.Name)].ToArray<float>(), $"{p.Name} unchanged");
            CollectionAssert.AreEqual(values[p.FirstMoment], results[Parameter.Updated(p.FirstMoment)].ToArray<float>());
            CollectionAssert.AreEqual(values[p.SecondMoment], results[Parameter.Updated(p.SecondMoment)].ToArray<float>());
        }

        foreach (var value in inputs.Values)
        {
            value.Dispose();
        }
    }

    [TestMethod]
    public void NormWeightsDoNotDecay()
    {
        Assert.IsTrue(Matrix.Decays);
        Assert.IsFalse(Norm.Decays);
    }
}
