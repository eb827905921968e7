using Flame.ModelGraphs.Config;
using Flame.Training.Checkpoints;
using Flame.Training.Loop;
using Flame.Training.Losses;

namespace Flame.Training.Tests.Loop;

/// <summary>The training loop end to end on small models: learning, accumulation, resume, balance, bad checkpoints.</summary>
[TestClass]
public sealed class TrainerTests
{
    private string _folder = "";

    [TestInitialize]
    public void Setup() => _folder = Directory.CreateTempSubdirectory("flame-train-").FullName;

    [TestCleanup]
    public void Cleanup() => Directory.Delete(_folder, recursive: true);

    private static ModelConfig Tiny => ModelConfigs.Load("tiny-moe") with { Layers = 2, Hidden = 32, Heads = 2, DenseFfn = 64, ExpertFfn = 32, SharedFfn = 32, MaxSequenceLength = 64 };

    [TestMethod]
    public void ASmallModelOverfitsOneBatch()
    {
        // Doubling the sequence only repeats the window; one document of 33 tokens is one window of 32.
        var data = SyntheticCorpus.WriteSingle(Path.Combine(_folder, "data"), 33);
        var options = new TrainingOptions
        {
            Dataset = data, Steps = 150, SequenceLength = 32, MicroBatch = 1, LearningRate = 1e-2, WarmupFraction = 0, DecayFraction = 0,
            TrainFraction = 1, ValidFraction = 0, ValidBatches = 0, CheckpointEvery = 1000, Milestones = 0,
        };
        using var trainer = Trainer.Create(Path.Combine(_folder, "run"), Tiny, options);
        var report = trainer.Train();
        Assert.IsNotNull(report);
        Assert.IsLessThan(0.05, report.LanguageModelLoss, $"final lm loss {report.LanguageModelLoss}");
    }

    [TestMethod]
    public void ValidationLossFallsAndTheLogHasEveryStep()
    {
        var data = SyntheticCorpus.Write(Path.Combine(_folder, "data"));
        var options = new TrainingOptions { Dataset = data, Steps = 40, SequenceLength = 32, MicroBatch = 4, LearningRate = 3e-3, ValidEvery = 10, ValidBatches = 2, ValidFraction = 0.1 };
        var run = Path.Combine(_folder, "run");
        using var trainer = Trainer.Create(run, Tiny, options);
        var reports = new List<StepReport>();
        trainer.Train(new SynchronousProgress(reports.Add));

        var validation = reports.Where(r => r.ValidationLoss is not null).Select(r => r.ValidationLoss!.Value).ToList();
        Assert.HasCount(4, validation);
        for (var i = 1; i < validation.Count; i++)
        {
            Assert.IsLessThan(validation[i - 1], validation[i], $"validation loss falls: {string.Join(", ", validation)}");
        }

        var log = File.ReadAllLines(RunFiles.TrainLog(run));
        Assert.HasCount(41, log, "a header and one row per step");
        StringAssert.StartsWith(log[0], "step,tokens,loss,lm_loss,load_balancing_loss,z_loss,grad_norm,lr");
        Assert.IsTrue(File.Exists(Path.Combine(run, RunFiles.TrainingModel)) && File.Exists(Path.Combine(run, RunFiles.OptimizerModel)) && File.Exists(Path.Combine(run, RunFiles.EvalModel)));
    }

    [TestMethod]
    public void AccumulatedMicroBatchesEqualOneBigBatch()
    {
        var data = SyntheticCorpus.Write(Path.Combine(_folder, "data"));
        // The load-balancing loss is a product of batch means, so (as in Megatron) it is computed
        // per micro-batch and is not additive: leave it out to compare the rest exactly.
        var common = new TrainingOptions { Dataset = data, Steps = 1, SequenceLength = 16, ValidBatches = 0, Milestones = 0, Losses = new LossSettings(LoadBalancing: 0) };
        // After one step the first moment is (1 − β1) · the clipped gradient: compare gradients, not
        // Adam's normalised updates (which amplify rounding where a gradient is near zero).
        float[] FirstMoment(TrainingOptions options, string name)
        {
            using var trainer = Trainer.Create(Path.Combine(_folder, name), Tiny, options);
            trainer.Train();
            using var moments = new CheckpointStore(Path.Combine(_folder, name)).Load(1).OpenOptimizer();
            return [.. new[] { "layers.1.moe.experts.fc1.weight", "layers.1.moe.router.weight", "embed.weight" }.SelectMany(p => moments.Read<float>(p + ".exp_avg"))];
        }

        var big = FirstMoment(common with { MicroBatch = 4, Accumulation = 1 }, "big");
        var accumulated = FirstMoment(common with { MicroBatch = 2, Accumulation = 2 }, "accumulated");
        var scale = big.Max(Math.Abs);
        var difference = big.Zip(accumulated).Max(t => Math.Abs(t.First - t.Second));
        Assert.IsLessThan(1e-5 * scale, difference, $"largest difference {difference} (largest element {scale})");
    }

    [TestMethod]
    [DataRow("fp32")]
    [DataRow("fp16", DisplayName = "fp16: the loss scale (halving from 2^24 in the first steps) is resumed too")]
    public void AResumedRunIsBitIdenticalToAnUninterruptedOne(string precision)
    {
        var data = SyntheticCorpus.Write(Path.Combine(_folder, "data"));
        var options = new TrainingOptions
        {
            Dataset = data, Steps = 6, SequenceLength = 16, MicroBatch = 2, Accumulation = 2, ValidBatches = 0, CheckpointEvery = 3,
            Precision = precision, InitialLossScale = 1 << 24,
        };

        var straight = Path.Combine(_folder, "straight");
        using (var trainer = Trainer.Create(straight, Tiny, options))
        {
            trainer.Train();
        }

        // Interrupted after 3 steps (the process gone: nothing but the run directory remains), then resumed.
        var interrupted = Path.Combine(_folder, "interrupted");
        using (var trainer = Trainer.Create(interrupted, Tiny, options))
        {
            trainer.Train(stopAfter: 3);
        }

        using (var trainer = Trainer.Resume(interrupted))
        {
            Assert.AreEqual(3, trainer.Step);
            trainer.Train();
        }

        if (precision == "fp16")
        {
            Assert.IsLessThan(1 << 24, new CheckpointStore(straight).Load(6).State.LossScale!.Value, "the first steps overflowed and lowered the scale");
            Assert.AreEqual(new CheckpointStore(straight).Load(6).State.LossScale, new CheckpointStore(interrupted).Load(6).State.LossScale);
        }

        foreach (var file in new[] { CheckpointStore.WeightsFile, CheckpointStore.OptimizerFile })
        {
            var a = File.ReadAllBytes(Path.Combine(straight, "checkpoints", CheckpointStore.NameOf(6), file));
            var b = File.ReadAllBytes(Path.Combine(interrupted, "checkpoints", CheckpointStore.NameOf(6), file));
            Assert.IsTrue(a.AsSpan().SequenceEqual(b), $"{file} after 6 steps differs between the straight and the resumed run");
        }

        Assert.AreEqual(
            string.Join("\n", File.ReadAllLines(RunFiles.TrainLog(straight)).Select(DropTiming)),
            string.Join("\n", File.ReadAllLines(RunFiles.TrainLog(interrupted)).Select(DropTiming)),
            "the resumed run's log continues the interrupted one, without repeated steps");
    }

    [TestMethod]
    public void TwoRunsOnTwoThreadsAreBitIdentical()
    {
        // quickstart-moe at batch 8 x 128: large enough that ORT spreads scatters over threads
        // (where ScatterND's unsynchronised adds once made every run differ).
        var data = SyntheticCorpus.Write(Path.Combine(_folder, "data"));
        var config = ModelConfigs.Load("quickstart-moe");
        var options = new TrainingOptions { Dataset = data, Steps = 2, SequenceLength = 128, MicroBatch = 8, ValidBatches = 0, Milestones = 0, Threads = 2 };
        byte[] Weights(string name)
        {
            using (var trainer = Trainer.Create(Path.Combine(_folder, name), config, options))
            {
                trainer.Train();
            }

            return File.ReadAllBytes(Path.Combine(_folder, name, "checkpoints", CheckpointStore.NameOf(2), CheckpointStore.WeightsFile));
        }

        Assert.IsTrue(Weights("first").AsSpan().SequenceEqual(Weights("second")), "two identical runs on 2 threads must give identical weights");
    }

    [TestMethod]
    public void InPlaceUpdatesEqualSwappedCopies()
    {
        var data = SyntheticCorpus.Write(Path.Combine(_folder, "data"));
        var options = new TrainingOptions { Dataset = data, Steps = 4, SequenceLength = 16, MicroBatch = 2, Accumulation = 2, ValidBatches = 0, Milestones = 0 };
        byte[] Checkpoint(bool inPlace, string name)
        {
            using var trainer = Trainer.Create(Path.Combine(_folder, name), Tiny, options with { InPlace = inPlace });
            trainer.Train();
            var folder = Path.Combine(_folder, name, "checkpoints", CheckpointStore.NameOf(4));
            return [.. File.ReadAllBytes(Path.Combine(folder, CheckpointStore.WeightsFile)), .. File.ReadAllBytes(Path.Combine(folder, CheckpointStore.OptimizerFile))];
        }

        Assert.IsTrue(Checkpoint(true, "in-place").AsSpan().SequenceEqual(Checkpoint(false, "swapped")), "weights and moments after 4 steps");
    }

    /// <summary>A log row without its wall-clock columns (tokens/s, ms/step).</summary>
    private static string DropTiming(string row) => string.Join(",", row.Split(',').Where((_, i) => i is not (8 or 9)));

    [TestMethod]
    public void ACorruptCheckpointIsNamedAndPassedOverWhenResuming()
    {
        var data = SyntheticCorpus.Write(Path.Combine(_folder, "data"));
        var run = Path.Combine(_folder, "run");
        using (var trainer = Trainer.Create(run, Tiny, new TrainingOptions { Dataset = data, Steps = 2, SequenceLength = 16, MicroBatch = 1, ValidBatches = 0 }))
        {
            trainer.Train();
        }

        static void Truncate(string file)
        {
            using var stream = File.OpenWrite(file);
            stream.SetLength(stream.Length / 2);
        }

        var store = new CheckpointStore(run);
        Truncate(Path.Combine(run, "checkpoints", CheckpointStore.NameOf(2), CheckpointStore.WeightsFile));
        var warnings = new List<string>();
        using (var resumed = Trainer.Resume(run, warn: warnings.Add))
        {
            Assert.AreEqual(store.Steps().Where(s => s < 2).Max(), resumed.Step, "the newest intact checkpoint");
        }

        StringAssert.Contains(warnings.Single(), CheckpointStore.WeightsFile);

        foreach (var step in store.Steps().Where(s => s < 2))
        {
            Truncate(Path.Combine(run, "checkpoints", CheckpointStore.NameOf(step), CheckpointStore.WeightsFile));
        }

        var error = Assert.Throws<InvalidDataException>(() => Trainer.Resume(run, warn: _ => { }));
        StringAssert.Contains(error.Message, CheckpointStore.WeightsFile);
    }

    [TestMethod]
    public void WithoutTheAuxiliaryLossExpertLoadIsLessBalanced()
    {
        var data = SyntheticCorpus.Write(Path.Combine(_folder, "data"), noise: 0.3);
        double Imbalance(double coefficient, string name)
        {
            var options = new TrainingOptions
            {
                Dataset = data, Steps = 150, SequenceLength = 32, MicroBatch = 4, LearningRate = 1e-2, ValidBatches = 0, Milestones = 0,
                Losses = new LossSettings(LoadBalancing: coefficient),
            };
            using var trainer = Trainer.Create(Path.Combine(_folder, name), Tiny with { InitStd = 0.1 }, options);
            var reports = new List<StepReport>();
            trainer.Train(new SynchronousProgress(reports.Add));
            return reports.TakeLast(50).Average(r => r.ExpertLoads.Average(l => l.MaxOverMean));
        }

        var on = Imbalance(LossSettings.Default.LoadBalancing, "on");
        var off = Imbalance(0, "off");
        Console.WriteLine($"expert load max/mean over the last 50 steps: aux on {on:F3}, aux off {off:F3}");
        Assert.IsGreaterThan(on * 1.1, off, $"aux off should be visibly less balanced: on {on:F3}, off {off:F3}");
    }
}
