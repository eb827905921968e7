using Flame.ModelGraphs.Builder;
using Flame.ModelGraphs.Config;
using Flame.ModelGraphs.Model;
using Flame.Reference;
using Flame.Runtime;
using Flame.Training.Artifacts;
using Flame.Training.Losses;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;

namespace Flame.Training.Tests.Losses;

/// <summary>eval_model.onnx's losses against the reference forward's, term by term.</summary>
[TestClass]
public sealed class TrainingLossesTests
{
    [TestMethod]
    public void EveryLossTermMatchesTheReference()
    {
        var config = ModelConfigs.Load("tiny-moe") with { InitStd = 0.2 };
        const ulong seed = 21;
        var parameters = FlameMoeModel.Build(config, new ForwardOptions(WeightsAs.Inputs)).Parameters;
        var weights = parameters.ToDictionary(p => p.Name, p => WeightInitializer.Create(p, seed));
        long[,] ids = { { 5, 17, 300, 2, 99 }, { 511, 0, 42, 42, 7 } };
        long[,] targets = { { 17, 300, 2, 99, -100 }, { 0, 42, 42, 7, 8 } };

        using var session = new ModelSession(EvalModel.Build(config).ToByteArray());
        var inputs = parameters.ToDictionary(p => p.Name, p => OrtValue.FromArray(weights[p.Name], p.Shape));
        inputs[FlameMoeModel.InputIds] = OrtValue.FromArray(ids.Cast<long>().ToArray(), 2, 5);
        inputs[TrainingLosses.Targets] = OrtValue.FromArray(targets.Cast<long>().ToArray(), 2, 5);
        using var results = session.Run(inputs, [TrainingLosses.Loss, TrainingLosses.LanguageModelLoss, TrainingLosses.LoadBalancingLoss, TrainingLosses.ZLoss]);

        var reference = new ReferenceModel(config, weights.ToDictionary(w => w.Key, w => w.Value.Select(v => (double)v).ToArray()));
        var expected = ReferenceLosses.Of(config, reference.Forward(ids), targets);
        float Scalar(string name) => results[name].ToArray<float>()[0];

        Assert.AreEqual(expected.LanguageModel, Scalar(TrainingLosses.LanguageModelLoss), 1e-4 * expected.LanguageModel, "lm");
        Assert.AreEqual(expected.LoadBalancing.Average(), Scalar(TrainingLosses.LoadBalancingLoss), 1e-4, "load balancing (logged: per layer, unscaled)");
        Assert.AreEqual(expected.ZLoss.Average(), Scalar(TrainingLosses.ZLoss), 1e-4 * expected.ZLoss.Average(), "z-loss (logged: per layer, unscaled)");
        Assert.AreEqual(expected.Total, Scalar(TrainingLosses.Loss), 1e-4 * expected.Total, "total");
        Assert.AreEqual(2, expected.LoadBalancing.Count, "tiny-moe has two MoE layers");

        foreach (var value in inputs.Values)
        {
            value.Dispose();
        }
    }

    [TestMethod]
    public void PerfectlyBalancedRoutingHasAuxLossOne()
    {
        // E Σ (1/E)(1/E) · E = 1 when every expert gets the same probability mass and the same share of slots.
        var routing = new ReferenceRouting(0, new double[4, 2], new double[4, 1], new int[,] { { 0 }, { 1 }, { 0 }, { 1 } });
        var output = new ReferenceOutput(new double[1, 1, 1], [routing]);
        var config = ModelConfigs.Load("tiny-moe") with { VocabSize = 1, VocabMultiple = 1 };
        var losses = ReferenceLosses.Of(config, output, new long[,] { { 0 } });
        Assert.AreEqual(1.0, losses.LoadBalancing[0], 1e-12);
        Assert.AreEqual(Math.Log(2) * Math.Log(2), losses.ZLoss[0], 1e-12, "logsumexp of two zeros is log 2");
    }
}
