using Flame.ModelGraphs.Config;
using Flame.Onnx.SafeTensors;
using Flame.Training.Artifacts;
using Flame.Training.Checkpoints;
using Flame.Training.Loop;

namespace Flame.Training.Tests.Artifacts;

/// <summary>The experts' products and the attention probabilities recomputed in the backward pass: the same numbers, none of the forward's values kept for it.</summary>
[TestClass]
public sealed class RecomputationTests
{
    private string _folder = "";

    [TestInitialize]
    public void Setup() => _folder = Directory.CreateTempSubdirectory("flame-recompute-").FullName;

    [TestCleanup]
    public void Cleanup() => Directory.Delete(_folder, recursive: true);

    private static ModelConfig Tiny => ModelConfigs.Load("tiny-moe") with { Layers = 2, Hidden = 32, Heads = 2, DenseFfn = 64, ExpertFfn = 32, SharedFfn = 32, MaxSequenceLength = 64 };

    [TestMethod]
    public void TheBackwardReadsOnlyRecomputedCopiesOfTheChosenValues()
    {
        var graph = TrainingModel.Build(Tiny).Graph;
        var chosen = graph.Node.Where(n => !n.Name.StartsWith("grad/", StringComparison.Ordinal) && !n.Name.StartsWith("recompute/", StringComparison.Ordinal) && TrainingModel.IsRecomputed(n)).ToList();
        Assert.IsTrue(chosen.Any(n => n.Name.Contains(".moe.experts.", StringComparison.Ordinal)), "the experts' nodes");
        Assert.IsTrue(chosen.Any(n => n.OpType == "Softmax" && n.Name.Contains(".attn.scores.", StringComparison.Ordinal)), "the attention probabilities");
        var values = chosen.SelectMany(n => n.Output).ToHashSet();
        var readers = graph.Node.Where(n => n.Name.StartsWith("grad/", StringComparison.Ordinal) && n.Input.Any(values.Contains)).Select(n => n.Name).ToList();
        Assert.IsEmpty(readers, "the backward reads the recomputed copies");
        Assert.IsTrue(graph.Node.Any(n => n.Name.StartsWith("recompute/", StringComparison.Ordinal) && n.OpType == "Softmax"));
        Assert.IsFalse(TrainingModel.Build(Tiny, recompute: false).Graph.Node.Any(n => n.Name.StartsWith("recompute/", StringComparison.Ordinal)));
    }

    [TestMethod]
    public void TrainingWithAndWithoutRecomputationIsBitIdentical()
    {
        var data = Loop.SyntheticCorpus.Write(Path.Combine(_folder, "data"));
        byte[] Train(bool recompute)
        {
            var run = Path.Combine(_folder, recompute ? "recomputed" : "kept");
            var options = new TrainingOptions { Dataset = data, Steps = 3, SequenceLength = 16, MicroBatch = 2, Accumulation = 2, ValidBatches = 0, Milestones = 0, Recompute = recompute };
            using (var trainer = Trainer.Create(run, Tiny, options))
            {
                trainer.Train();
            }

            return File.ReadAllBytes(Path.Combine(run, "checkpoints", CheckpointStore.NameOf(3), CheckpointStore.WeightsFile));
        }

        CollectionAssert.AreEqual(Train(recompute: false), Train(recompute: true));
    }
}
