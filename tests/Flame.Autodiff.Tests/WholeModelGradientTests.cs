using Flame.ModelGraphs.Builder;
using Flame.ModelGraphs.Config;
using Flame.ModelGraphs.Model;
using Flame.Onnx.Proto;
using Flame.Onnx.Transforms;
using Flame.Runtime;
using Flame.Training.Artifacts;
using Flame.Training.Losses;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;

namespace Flame.Autodiff.Tests;

/// <summary>
/// The gradient of the whole training objective (cross-entropy + load-balancing + z-loss) of a
/// small MoE, for every parameter, against finite differences in double precision: along a
/// random direction per parameter tensor, and element by element for a few entries of each.
/// </summary>
[TestClass]
public sealed class WholeModelGradientTests
{
    [TestMethod]
    [DataRow(ModelConfig.DispatchSorted, null)]
    [DataRow(ModelConfig.DispatchGather, null)]
    public void EveryParameterMatchesFiniteDifferences(string dispatch, double? capacityFactor)
    {
        var config = ModelConfigs.Load("tiny-moe") with { InitStd = 0.2, Layers = 2, Hidden = 32, Heads = 2, DenseFfn = 64, ExpertFfn = 16, SharedFfn = 32, VocabSize = 64, VocabMultiple = 64, Dispatch = dispatch, CapacityFactor = capacityFactor };
        var parameters = FlameMoeModel.Build(config, new ForwardOptions(WeightsAs.Inputs)).Parameters;
        var forward = DoublePrecision.Convert(FunctionInliner.Inline(EvalModel.Build(config)));
        var backward = Differentiator.Differentiate(forward, new GradientRequest(TrainingLosses.Loss, parameters.Select(p => p.Name).ToList()));

        var random = new Random(5);
        var inputs = parameters.ToDictionary(p => p.Name, p => new TestTensor(WeightInitializer.Create(p, 9).Select(v => (double)v).ToArray(), p.Shape));
        inputs[FlameMoeModel.InputIds] = TestTensor.Ints([5, 17, 30, 2, 9, 51, 0, 42, 42, 7], 2, 5);
        inputs[TrainingLosses.Targets] = TestTensor.Ints([17, 30, 2, 9, -100, 0, 42, 42, 7, 8], 2, 5);

        // ORT's fusions (x·sigmoid(x) → QuickGelu) have float kernels only: run the double graphs as written.
        var asWritten = new SessionSettings { Optimization = GraphOptimization.Basic };
        using var gradientSession = new ModelSession(backward.ToByteArray(), asWritten);
        var gradients = GradientCheck.Run(gradientSession, inputs, parameters.Select(p => p.Name + ".grad").ToArray());
        using var lossSession = new ModelSession(forward.ToByteArray(), asWritten);
        double Loss() => GradientCheck.Run(lossSession, inputs, [TrainingLosses.Loss])[TrainingLosses.Loss][0];

        foreach (var p in parameters)
        {
            var x = (double[])inputs[p.Name].Data;
            var gradient = gradients[p.Name + ".grad"];
            Assert.IsTrue(gradient.Any(v => v != 0), $"{p.Name} gets a gradient");

            // Directional derivative along a random unit direction.
            var direction = Enumerable.Range(0, x.Length).Select(_ => random.NextDouble() * 2 - 1).ToArray();
            var length = Math.Sqrt(direction.Sum(v => v * v));
            const double step = 1e-6;
            var saved = x.ToArray();
            for (var i = 0; i < x.Length; i++)
            {
                x[i] = saved[i] + step * direction[i] / length;
            }

            var up = Loss();
            for (var i = 0; i < x.Length; i++)
            {
                x[i] = saved[i] - step * direction[i] / length;
            }

            var down = Loss();
            saved.CopyTo(x, 0);
            var numeric = (up - down) / (2 * step);
            var analytic = gradient.Zip(direction).Sum(t => t.First * t.Second) / length;
            Assert.AreEqual(numeric, analytic, 1e-6 + 1e-5 * Math.Abs(numeric), $"directional derivative for {p.Name}");

            for (var sample = 0; sample < 3; sample++)
            {
                var i = random.Next(x.Length);
                var single = GradientCheck.FiniteDifference(lossSession, inputs, p.Name, i, 1e-6);
                Assert.AreEqual(single, gradient[i], 1e-6 + 1e-5 * Math.Abs(single), $"d loss / d {p.Name}[{i}]");
            }
        }
    }

    [TestMethod]
    public void TheFloatGradientsMatchTheDoubleOnes()
    {
        var config = ModelConfigs.Load("tiny-moe") with { InitStd = 0.2 };
        var parameters = FlameMoeModel.Build(config, new ForwardOptions(WeightsAs.Inputs)).Parameters;
        var request = new GradientRequest(TrainingLosses.Loss, parameters.Select(p => p.Name).ToList());
        var inlined = FunctionInliner.Inline(EvalModel.Build(config));
        var single = Differentiator.Differentiate(inlined, request);
        var twice = Differentiator.Differentiate(DoublePrecision.Convert(inlined), request);

        var weights = parameters.ToDictionary(p => p.Name, p => WeightInitializer.Create(p, 3));
        long[] ids = [5, 17, 300, 2, 99, 511, 0, 42, 42, 7, 1, 2, 3, 4, 5, 6];
        long[] targets = [17, 300, 2, 99, 5, 0, 42, 42, 7, 8, 2, 3, 4, 5, 6, -100];
        var doubles = parameters.ToDictionary(p => p.Name, p => new TestTensor(weights[p.Name].Select(v => (double)v).ToArray(), p.Shape));
        doubles[FlameMoeModel.InputIds] = TestTensor.Ints(ids, 2, 8);
        doubles[TrainingLosses.Targets] = TestTensor.Ints(targets, 2, 8);
        using var doubleSession = new ModelSession(twice.ToByteArray(), new SessionSettings { Optimization = GraphOptimization.Basic });
        var expected = GradientCheck.Run(doubleSession, doubles, parameters.Select(p => p.Name + ".grad").ToArray());

        using var floatSession = new ModelSession(single.ToByteArray());
        var floats = parameters.ToDictionary(p => p.Name, p => OrtValue.FromArray(weights[p.Name], p.Shape));
        floats[FlameMoeModel.InputIds] = OrtValue.FromArray(ids, 2, 8);
        floats[TrainingLosses.Targets] = OrtValue.FromArray(targets, 2, 8);
        using var results = floatSession.Run(floats, parameters.Select(p => p.Name + ".grad").ToArray());
        foreach (var p in parameters)
        {
            var actual = results[p.Name + ".grad"].ToArray<float>();
            var reference = expected[p.Name + ".grad"];
            var scale = reference.Max(Math.Abs);
            var error = actual.Zip(reference).Max(t => Math.Abs(t.First - t.Second));
            Assert.IsLessThan(1e-4 * scale + 1e-7, error, $"{p.Name}: float gradient off by {error:G3} (largest element {scale:G3})");
        }

        foreach (var value in floats.Values)
        {
            value.Dispose();
        }
    }
}
