using Flame.Runtime;
using Flame.Training.Optimization;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;

namespace Flame.Training.Tests.Optimization;

/// <summary>
/// The global gradient norm at the sizes people train: Σ g² over a 100M-element gradient (the
/// size of flame-moe-290m's expert tensors) against a float64 reference, to 1e-7 relative. A
/// float32 ReduceSum misses by 0.1–6 % at 23M–369M elements on ORT's CPU provider.
/// </summary>
[TestClass]
public sealed class GradientNormAccuracyTests
{
    private const int Elements = 100_000_000;

    [TestMethod]
    public void SumOfSquaresOfA100MElementGradientMatchesFloat64()
    {
        var experts = new Parameter("layers.1.mlp.experts.fc1", [100, 1000, 1000]);
        var gradient = Gradient(Elements, seed: 3);
        using var session = new ModelSession(AdamWGraph.BuildSumOfSquares([experts]).ToByteArray(), new SessionSettings { IntraOpThreads = 2 });
        using var input = OrtValue.FromArray(gradient, experts.Shape);
        using var results = session.Run(new Dictionary<string, OrtValue> { [experts.Gradient] = input });

        var expected = Float64SumOfSquares(gradient);
        var actual = results[AdamWGraph.SumOfSquares].ToArray<double>()[0];
        Assert.AreEqual(expected, actual, 1e-7 * expected, $"relative error {Math.Abs(actual - expected) / expected:E2}");
    }

    [TestMethod]
    public void TheOptimizerStepsGradNormIsTheFloat64Norm()
    {
        // The whole-graph path sums the same way; a 16M-element gradient keeps the step's other tensors small enough for CI.
        var matrix = new Parameter("layers.0.mlp.fc1.weight", [4096, 4096]);
        var gradient = Gradient(4096 * 4096, seed: 5);
        var zeros = new float[gradient.Length];
        using var session = new ModelSession(AdamWGraph.Build([matrix], new AdamWSettings()).ToByteArray(), new SessionSettings { IntraOpThreads = 2 });
        var inputs = new Dictionary<string, OrtValue>
        {
            [AdamWGraph.LearningRate] = OrtValue.FromArray(new[] { 1e-4f }),
            [AdamWGraph.Step] = OrtValue.FromArray(new[] { 1f }),
            [AdamWGraph.GradScale] = OrtValue.FromArray(new[] { 1f }),
            [matrix.Name] = OrtValue.FromArray(zeros, matrix.Shape),
            [matrix.Gradient] = OrtValue.FromArray(gradient, matrix.Shape),
            [matrix.FirstMoment] = OrtValue.FromArray(zeros, matrix.Shape),
            [matrix.SecondMoment] = OrtValue.FromArray(zeros, matrix.Shape),
        };
        using var results = session.Run(inputs, [AdamWGraph.GradNorm]);

        var expected = Math.Sqrt(Float64SumOfSquares(gradient));
        // float32 output: within its rounding of the exact norm.
        Assert.AreEqual(expected, results[AdamWGraph.GradNorm].ToArray<float>()[0], 1e-7 * expected);
        foreach (var value in inputs.Values)
        {
            value.Dispose();
        }
    }

    /// <summary>Gradient-like values: mostly small, a few large, of both signs (seeded).</summary>
    private static float[] Gradient(int n, int seed)
    {
        var random = new Random(seed);
        var values = new float[n];
        for (var i = 0; i < n; i++)
        {
            var magnitude = random.NextDouble() < 0.001 ? 1e-1 : 1e-3;
            values[i] = (float)((random.NextDouble() * 2 - 1) * magnitude);
        }

        return values;
    }

    private static double Float64SumOfSquares(float[] values)
    {
        // Pairwise over blocks: the reference's own rounding is far below 1e-7.
        double total = 0;
        for (var start = 0; start < values.Length; start += 4096)
        {
            double block = 0;
            for (var i = start; i < Math.Min(values.Length, start + 4096); i++)
            {
                block += (double)values[i] * values[i];
            }

            total += block;
        }

        return total;
    }
}
