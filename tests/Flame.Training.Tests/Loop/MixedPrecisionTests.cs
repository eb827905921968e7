using Flame.ModelGraphs.Builder;
using Flame.ModelGraphs.Config;
using Flame.ModelGraphs.Model;
using Flame.Training.Artifacts;
using Flame.Training.Checkpoints;
using Flame.Onnx.Transforms;
using Flame.Training.Loop;
using DataType = Flame.Onnx.Proto.TensorProto.Types.DataType;

namespace Flame.Training.Tests.Loop;

/// <summary>fp16/bf16 matrix multiplies with fp32 master weights, and fp16's dynamic loss scaling.</summary>
[TestClass]
public sealed class MixedPrecisionTests
{
    private string _folder = "";

    [TestInitialize]
    public void Setup() => _folder = Directory.CreateTempSubdirectory("flame-mp-").FullName;

    [TestCleanup]
    public void Cleanup() => Directory.Delete(_folder, recursive: true);

    private static ModelConfig Tiny => ModelConfigs.Load("tiny-moe") with { Layers = 2, Hidden = 32, Heads = 2, DenseFfn = 64, ExpertFfn = 32, SharedFfn = 32, MaxSequenceLength = 64 };

    private TrainingOptions Options(string precision) => new()
    {
        Dataset = SyntheticCorpus.Write(Path.Combine(_folder, "data-" + precision)), Steps = 6, SequenceLength = 16, MicroBatch = 2, Accumulation = 2,
        LearningRate = 3e-3, WarmupFraction = 0, ValidBatches = 0, Milestones = 0, Precision = precision, InitialLossScale = 1024,
    };

    [TestMethod]
    [DataRow("fp16")]
    [DataRow("bf16")]
    public void MatMulsRunInLowPrecisionExceptTheRouters(string precision)
    {
        var graph = TrainingModel.Build(Tiny, precision: precision).Graph;
        var types = Flame.Autodiff.Shapes.ShapeInference.Infer(graph);
        var low = Autocast.Parse(precision);
        var matMuls = graph.Node.Where(n => n.OpType is "MatMul" or "Gemm").ToList();
        // The router's multiplies: its forward (in the inlined TopKRouter function) and their gradients.
        var routers = matMuls.Where(n => n.Name.Contains("TopKRouter", StringComparison.Ordinal)).ToList();
        Assert.IsTrue(routers.Any(n => n.Input.Contains("layers.1.moe.router.weight")));
        Assert.IsNotEmpty(routers);
        Assert.IsTrue(routers.All(n => types[n.Output[0]].Type == DataType.Float), "the router's multiplies stay fp32");
        var others = matMuls.Except(routers).ToList();
        var backward = others.Where(n => n.Name.StartsWith("grad/", StringComparison.Ordinal)).ToList();
        Assert.IsNotEmpty(backward);
        foreach (var node in others)
        {
            Assert.AreEqual(low, types[node.Output[0]].Type, $"{node.Name} ({(backward.Contains(node) ? "backward" : "forward")}) computes in {precision}");
        }

        Assert.IsTrue(graph.Input.Where(i => i.Name.EndsWith(".weight", StringComparison.Ordinal)).All(i => i.Type.TensorType.ElemType == 1), "weights stay fp32 inputs");
    }

    [TestMethod]
    public void Fp16TrainingTracksFp32()
    {
        List<StepReport> Train(string precision)
        {
            var reports = new List<StepReport>();
            using var trainer = Trainer.Create(Path.Combine(_folder, precision), Tiny, Options(precision));
            trainer.Train(new SynchronousProgress(reports.Add));
            return reports;
        }

        var fp32 = Train("fp32");
        var fp16 = Train("fp16");
        for (var i = 0; i < fp32.Count; i++)
        {
            Assert.AreEqual(fp32[i].Loss, fp16[i].Loss, 1e-2 * fp32[i].Loss, $"step {i + 1} loss: fp32 {fp32[i].Loss}, fp16 {fp16[i].Loss}");
            Assert.AreEqual(fp32[i].GradNorm, fp16[i].GradNorm, 5e-2 * fp32[i].GradNorm, $"step {i + 1} grad norm (unscaled)");
        }

        Assert.IsLessThan(fp16[0].Loss, fp16[^1].Loss, "fp16 training learns");
    }

    [TestMethod]
    public void AnOverflowingStepChangesNothingAndHalvesTheScale()
    {
        var run = Path.Combine(_folder, "run");
        var options = Options("fp16") with { Steps = 1, InitialLossScale = 1 << 30 };
        StepReport? report;
        using (var trainer = Trainer.Create(run, Tiny, options))
        {
            report = trainer.Train();
        }

        Assert.IsFalse(double.IsFinite(report!.GradNorm), "the overflow shows in the grad norm");
        var checkpoint = new CheckpointStore(run).Load(1);
        Assert.AreEqual((double)(1 << 29), checkpoint.State.LossScale);
        using var weights = checkpoint.OpenWeights();
        foreach (var parameter in FlameMoeModel.Build(Tiny, new ForwardOptions(WeightsAs.Inputs)).Parameters)
        {
            CollectionAssert.AreEqual(WeightInitializer.Create(parameter, options.Seed), weights.Read<float>(parameter.Name), $"{parameter.Name} is still its initial value");
        }
    }

    [TestMethod]
    public void Bf16OnTheCpuIsRefusedWithTheReason()
    {
        var error = Assert.ThrowsExactly<ArgumentException>(() => Options("bf16").Validate());
        StringAssert.Contains(error.Message, "bf16 needs --device cuda");
    }
}
