using Flame.ModelGraphs.Config;
using Flame.ModelGraphs.Parallel;
using Flame.Runtime;
using Flame.Training.Checkpoints;
using Flame.Training.Loop;
using Flame.Training.Tests.Loop;
using Microsoft.ML.OnnxRuntime;
using CheckpointState = Flame.Training.Checkpoints.CheckpointState;

namespace Flame.Training.Tests.Parallel;

/// <summary>Expert parallelism: a run with the experts split into shards equals the unsharded run.</summary>
[TestClass]
public sealed class ExpertParallelTests
{
    private string _folder = "";

    [TestInitialize]
    public void Setup() => _folder = Directory.CreateTempSubdirectory("flame-ep-").FullName;

    [TestCleanup]
    public void Cleanup() => Directory.Delete(_folder, recursive: true);

    // Two MoE layers, so gradients cross a trunk stage between two sets of shards.
    private static ModelConfig Tiny => ModelConfigs.Load("tiny-moe") with { Layers = 3, Hidden = 32, Heads = 2, DenseFfn = 64, ExpertFfn = 32, SharedFfn = 32, MaxSequenceLength = 64 };

    private (List<StepReport> Reports, Dictionary<string, float[]> Weights) Train(string name, int shards, ModelConfig config, bool placed = false)
    {
        var data = SyntheticCorpus.Write(Path.Combine(_folder, "data-" + name));
        var options = new TrainingOptions
        {
            Dataset = data, Steps = 4, SequenceLength = 16, MicroBatch = 2, Accumulation = 2, LearningRate = 3e-3, WarmupFraction = 0,
            ValidBatches = 2, ValidEvery = 2, ValidFraction = 0.1, Milestones = 0, ExpertShards = shards,
            ExpertDevices = placed ? [.. Enumerable.Repeat("cpu", shards)] : null,
        };
        var run = Path.Combine(_folder, name);
        var reports = new List<StepReport>();
        using (var trainer = Trainer.Create(run, config, options))
        {
            trainer.Train(new SynchronousProgress(reports.Add));
        }

        using var weights = new CheckpointStore(run).Load(4).OpenWeights();
        return (reports, weights.Entries.ToDictionary(e => e.Name, e => weights.Read<float>(e.Name)));
    }

    [TestMethod]
    [DataRow(2, false)]
    [DataRow(4, false)]
    [DataRow(2, true, DisplayName = "2 shards placed on devices of their own (each its own memory and optimizer step; all CPU here)")]
    public void ShardedTrainingEqualsUnsharded(int shards, bool placed)
    {
        var (whole, wholeWeights) = Train("whole", 1, Tiny);
        var (sharded, shardedWeights) = Train("sharded", shards, Tiny, placed);

        Assert.HasCount(4, sharded);
        Assert.IsNotNull(whole[1].ValidationLoss, "validation runs at step 2");
        for (var i = 0; i < whole.Count; i++)
        {
            Assert.AreEqual(whole[i].Loss, sharded[i].Loss, 1e-5 * Math.Abs(whole[i].Loss), $"step {i + 1} loss");
            Assert.AreEqual(whole[i].LoadBalancingLoss, sharded[i].LoadBalancingLoss, 1e-5, $"step {i + 1} load-balancing loss");
            Assert.AreEqual(whole[i].GradNorm, sharded[i].GradNorm, 1e-4 * whole[i].GradNorm, $"step {i + 1} grad norm");
            Assert.AreEqual(whole[i].ValidationLoss.HasValue, sharded[i].ValidationLoss.HasValue);
            Assert.AreEqual(whole[i].ValidationLoss ?? 0, sharded[i].ValidationLoss ?? 0, 1e-5 * (whole[i].ValidationLoss ?? 0), $"step {i + 1} validation loss");
            CollectionAssert.AreEqual(whole[i].ExpertLoads.ToList(), sharded[i].ExpertLoads.ToList(), $"step {i + 1}: the same routing, so the same expert loads");
        }

        CollectionAssert.AreEquivalent(wholeWeights.Keys.ToList(), shardedWeights.Keys.ToList());
        foreach (var (name, expected) in wholeWeights)
        {
            var actual = shardedWeights[name];
            var worst = expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max();
            Assert.IsLessThan(1e-5, worst, $"{name}: largest difference after 4 steps {worst}");
        }

        var stages = Directory.GetFiles(Path.Combine(_folder, "sharded", RunFiles.Stages)).Select(Path.GetFileName).ToList();
        Assert.Contains($"experts.1.{shards - 1}.backward.onnx", stages);
        Assert.Contains("trunk.2.backward.onnx", stages);
        Assert.AreEqual(placed, stages.Contains($"optimizer.{shards}.onnx"), "placed shards have an optimizer step each");
    }

    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public void AShardedRunResumesBitIdentically(bool placed)
    {
        var options = new TrainingOptions
        {
            Dataset = SyntheticCorpus.Write(Path.Combine(_folder, "data")), Steps = 4, SequenceLength = 16, MicroBatch = 2, Accumulation = 2,
            ValidBatches = 2, ValidEvery = 2, ValidFraction = 0.1, CheckpointEvery = 2, ExpertShards = 2, ExpertDevices = placed ? ["cpu", "cpu"] : null,
        };
        foreach (var (name, stop) in new[] { ("straight", 4L), ("interrupted", 2L) })
        {
            using var trainer = Trainer.Create(Path.Combine(_folder, name), Tiny, options);
            trainer.Train(stopAfter: stop);
        }

        using (var resumed = Trainer.Resume(Path.Combine(_folder, "interrupted")))
        {
            resumed.Train();
        }

        foreach (var file in new[] { CheckpointStore.WeightsFile, CheckpointStore.OptimizerFile })
        {
            var a = File.ReadAllBytes(Path.Combine(_folder, "straight", "checkpoints", CheckpointStore.NameOf(4), file));
            var b = File.ReadAllBytes(Path.Combine(_folder, "interrupted", "checkpoints", CheckpointStore.NameOf(4), file));
            Assert.IsTrue(a.AsSpan().SequenceEqual(b), $"{file} after 4 steps differs between the straight and the resumed sharded run");
        }
    }

    [TestMethod]
    [DataRow(false)]
    [DataRow(true, DisplayName = "shards on devices of their own (all CPU here)")]
    public void ShardedForwardEqualsTheWholeGraph(bool placed)
    {
        var config = Tiny;
        var store = new CheckpointStore(Path.Combine(_folder, "run"));
        store.Save(new CheckpointState { Step = 1, TokensSeen = 0, Config = System.Text.Json.JsonSerializer.SerializeToNode(config)! }, CheckpointForward.InitialWeights(config, 5), []);
        var checkpoint = store.Load(1);
        using var whole = new Flame.Runtime.ModelSession(Google.Protobuf.MessageExtensions.ToByteArray(Flame.Onnx.Transforms.FunctionInliner.Inline(CheckpointForward.Build(checkpoint))));
        using var sharded = Flame.Training.Parallel.ExpertParallelForward.Open(checkpoint, 2, shardDevices: placed ? [Flame.Runtime.ExecutionDevice.Cpu, Flame.Runtime.ExecutionDevice.Cpu] : null);
        CollectionAssert.AreEquivalent(whole.Outputs.Select(o => o.Name).ToList(), sharded.Outputs.Select(o => o.Name).ToList(), "the same outputs as the whole graph");

        var random = new Random(2);
        using var ids = Microsoft.ML.OnnxRuntime.OrtValue.FromArray(Enumerable.Range(0, 2 * 16).Select(_ => (long)random.Next(config.VocabSize)).ToArray(), 2, 16);
        var inputs = new Dictionary<string, Microsoft.ML.OnnxRuntime.OrtValue> { ["input_ids"] = ids };
        using var expected = whole.Run(inputs);
        using var actual = sharded.Run(inputs);
        foreach (var name in expected.Names)
        {
            if (name.StartsWith("topk_indices.", StringComparison.Ordinal))
            {
                CollectionAssert.AreEqual(expected[name].ToArray<long>(), actual[name].ToArray<long>(), name);
                continue;
            }

            var worst = expected[name].ToArray<float>().Zip(actual[name].ToArray<float>(), (e, a) => Math.Abs(e - a)).Max();
            Assert.IsLessThan(1e-5, worst, $"{name}: largest difference {worst}");
        }
    }

    [TestMethod]
    public void ShardsMustDivideTheExperts()
    {
        var error = Assert.ThrowsExactly<ArgumentException>(() => ExpertParallelGraphs.Build(Tiny, 3));
        StringAssert.Contains(error.Message, "divide the 8 experts");

        var run = Path.Combine(_folder, "run");
        var options = new TrainingOptions { Dataset = SyntheticCorpus.Write(Path.Combine(_folder, "data")), Steps = 1, SequenceLength = 16, ExpertShards = 3 };
        error = Assert.ThrowsExactly<ArgumentException>(() => Trainer.Create(run, Tiny, options));
        StringAssert.Contains(error.Message, "divide the 8 experts");
        Assert.IsFalse(Directory.Exists(run), "nothing is written for a run that cannot start");

        var devices = Assert.ThrowsExactly<ArgumentException>(() => (options with { ExpertShards = 2, ExpertDevices = ["cpu"] }).Validate());
        StringAssert.Contains(devices.Message, "expert_devices must name one device per expert shard (2 shards, 1 devices");
        var unknown = Assert.ThrowsExactly<ArgumentException>(() => (options with { ExpertShards = 2, ExpertDevices = ["cpu", "gpu1"] }).Validate());
        StringAssert.Contains(unknown.Message, "expert_devices: \"gpu1\" is not cpu, cuda or cuda:N");
    }

    [TestMethod]
    public void TrainingOnCudaWithoutCudaIsAClearError()
    {
        if (Flame.Runtime.RuntimeInfo.Probe().CudaUsable)
        {
            Assert.Inconclusive("this machine has a working CUDA provider");
        }

        var options = new TrainingOptions { Dataset = SyntheticCorpus.Write(Path.Combine(_folder, "data")), Steps = 1, SequenceLength = 16, Device = "cuda:0" };
        var error = Assert.ThrowsExactly<Flame.Runtime.DeviceUnavailableException>(() => Trainer.Create(Path.Combine(_folder, "run"), Tiny, options));
        StringAssert.Contains(error.Message, "flame setup cuda");
    }
}
