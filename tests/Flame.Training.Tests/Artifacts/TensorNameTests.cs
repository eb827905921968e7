using Flame.ModelGraphs.Builder;
using Flame.ModelGraphs.Config;
using Flame.ModelGraphs.Model;
using Flame.Training.Artifacts;
using Flame.Training.Optimization;

namespace Flame.Training.Tests.Artifacts;

/// <summary>Every tensor name derived from a weight w is w + "." + a suffix: w.grad, w.grad.accumulated, w.exp_avg, w.exp_avg_sq, w.updated, ...</summary>
[TestClass]
public sealed class TensorNameTests
{
    [TestMethod]
    public void WeightDerivedNamesUseOneSeparator()
    {
        var config = ModelConfigs.Load("tiny-moe");
        var parameters = FlameMoeModel.Build(config, new ForwardOptions(WeightsAs.Inputs)).Parameters.Select(p => new Parameter(p.Name, p.Shape)).ToList();
        var graphs = new[] { TrainingModel.Build(config).Graph, AdamWGraph.Build(parameters, new AdamWSettings()).Graph };
        var names = graphs.SelectMany(g => g.Input.Select(i => i.Name).Concat(g.Output.Select(o => o.Name))).Distinct().ToList();
        var weights = parameters.Select(p => p.Name).ToHashSet();

        Assert.IsFalse(names.Any(n => n.Contains("_grad", StringComparison.Ordinal) && n != GradientAccumulation.LazyResetGrad), string.Join(", ", names.Where(n => n.Contains("_grad", StringComparison.Ordinal))));
        foreach (var weight in weights)
        {
            CollectionAssert.IsSubsetOf(new[] { weight + ".grad", weight + ".grad.accumulated", weight + ".exp_avg", weight + ".exp_avg_sq", weight + ".updated" }, names, weight);
        }
    }
}
