using Flame.Onnx.SafeTensors;
using Flame.Training.Checkpoints;

namespace Flame.Cli.Tests;

/// <summary>
/// `flame train --data-parallel` under mpirun: N ranks equal one process accumulating their
/// micro-batches, checkpoints do not depend on the number of ranks, and a rank that dies or
/// hangs stops the job with the last checkpoint intact.
/// </summary>
[TestClass]
public sealed class DataParallelTests
{
    private string _folder = "";
    private string _dataset = "";

    [TestInitialize]
    public void Setup()
    {
        _folder = Directory.CreateTempSubdirectory("flame-data-parallel-").FullName;
        _dataset = SmallDataset.Write(_folder);
    }

    [TestCleanup]
    public void Cleanup() => Directory.Delete(_folder, recursive: true);

    private string[] Training(string run, int steps, int accumulation, params string[] more) => Training(run, steps, accumulation, 32, 2, more);

    private string[] Training(string run, int steps, int accumulation, int sequence, int microBatch, params string[] more) =>
        ["train", "--config", "tiny-moe", "--data", _dataset, "--run", Path.Combine(_folder, run), "--steps", Text(steps), "--seq", Text(sequence), "--micro-batch", Text(microBatch),
         "--accumulation", Text(accumulation), "--threads", "1", "--valid-every", "2", "--valid-batches", "2", "--log-every", "1", .. more];

    private static string Text(int value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    [TestMethod]
    public void ThreeRanksEqualOneProcessAccumulatingTheirMicroBatchesBitForBit()
    {
        var one = CliRunner.Run(Training("one", 4, 3));
        Assert.AreEqual(0, one.ExitCode, one.Error);
        var three = MpiJob.Run(3, [.. Training("three", 4, 3), "--data-parallel"]);
        Assert.AreEqual(0, three.ExitCode, three.Output + three.Error);
        StringAssert.Contains(three.Output, "data-parallel over 3 ranks: 1 of the 3 micro-batches");
        StringAssert.Contains(three.Output, "MiB per step to the other ranks");
        Assert.AreEqual(1, three.Output.Split('\n').Count(l => l.StartsWith("done: step 4", StringComparison.Ordinal)), "rank 0 alone speaks");

        // Three ranks make the order of the sum visible: (g0 + g1) + g2 is what one process accumulates, g0 + (g1 + g2) is not.
        AssertSameCheckpoint(Path.Combine(_folder, "one"), Path.Combine(_folder, "three"), 4);
        CollectionAssert.AreEqual(WithoutTiming(Path.Combine(_folder, "one")), WithoutTiming(Path.Combine(_folder, "three")), "the same losses, grad norms, expert loads and validation losses");
    }

    [TestMethod]
    public void RanksAccumulatingSeveralMicroBatchesEachMatchOneProcessWithinSummationOrder()
    {
        Assert.AreEqual(0, CliRunner.Run(Training("one", 3, 4)).ExitCode);
        var two = MpiJob.Run(2, [.. Training("two", 3, 4), "--data-parallel"]);
        Assert.AreEqual(0, two.ExitCode, two.Output + two.Error);
        StringAssert.Contains(two.Output, "2 of the 4 micro-batches of each step per rank");

        // ((g0 + g1) + g2) + g3 against (g0 + g1) + (g2 + g3): float32 rounding apart, no more.
        var (expected, actual) = (Weights(Path.Combine(_folder, "one"), 3), Weights(Path.Combine(_folder, "two"), 3));
        foreach (var (name, values) in expected)
        {
            var scale = values.Max(v => MathF.Abs(v));
            var worst = values.Zip(actual[name]).Max(p => MathF.Abs(p.First - p.Second));
            Assert.IsLessThan(1e-4f * scale, worst, $"{name}: {worst} apart (largest weight {scale})");
        }
    }

    [TestMethod]
    public void ARunSavedWithTwoRanksResumesWithOneAndOneSavedAloneResumesWithTwo()
    {
        Assert.AreEqual(0, CliRunner.Run(Training("alone", 6, 2, "--checkpoint-every", "3")).ExitCode);
        var job = MpiJob.Run(2, [.. Training("ranks", 6, 2, "--checkpoint-every", "3"), "--data-parallel"]);
        Assert.AreEqual(0, job.ExitCode, job.Output + job.Error);

        // Each run cut back to its step-3 checkpoint and continued with the other world size.
        var byOne = CutBack("ranks", "ranks-then-one", 3);
        var resumed = CliRunner.Run("train", "--resume", byOne);
        Assert.AreEqual(0, resumed.ExitCode, resumed.Error);
        var byTwo = CutBack("alone", "alone-then-two", 3);
        job = MpiJob.Run(2, "train", "--resume", byTwo, "--data-parallel");
        Assert.AreEqual(0, job.ExitCode, job.Output + job.Error);
        StringAssert.Contains(job.Output, "resuming");

        var reference = Path.Combine(_folder, "alone");
        AssertSameCheckpoint(reference, byOne, 6);
        AssertSameCheckpoint(reference, byTwo, 6);
    }

    [TestMethod]
    public void AKilledRankStopsTheJobAndTheRunResumesFromItsLastCheckpoint()
    {
        var run = Path.Combine(_folder, "run");
        using (var job = new MpiJob(2, [.. Training("run", 100_000, 2, "--checkpoint-every", "10"), "--data-parallel", "--collective-timeout", "20"]))
        {
            WaitForCheckpoint(run, job);
            job.Signal(1, "KILL");
            var (code, output, error) = job.WaitForExit(TimeSpan.FromSeconds(60));
            Assert.AreNotEqual(0, code, output + error);
            job.WaitForRanksToEnd(TimeSpan.FromSeconds(40));   // rank 0 ends by mpirun's kill or its 20 s collective timeout
        }

        WaitForTheRunLock(run);   // a rank's exit frees the lock a moment after its process is gone from view

        var store = new CheckpointStore(run);
        var saved = store.LatestStep()!.Value;
        var warnings = new List<string>();
        Assert.AreEqual(saved, store.LoadNewestIntact(warnings.Add).State.Step);
        Assert.IsEmpty(warnings, "the latest checkpoint is intact");

        var resumed = CliRunner.Run("train", "--resume", run, "--steps", (saved + 3).ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.AreEqual(0, resumed.ExitCode, resumed.Error);
        StringAssert.Contains(resumed.Output, $"resuming {run} at step {saved}");
        Assert.AreEqual(saved + 3, store.LatestStep());
    }

    [TestMethod]
    public void AHungRankStopsTheOthersAfterTheTimeoutWithAClearMessage()
    {
        var run = Path.Combine(_folder, "run");
        using var job = new MpiJob(2, [.. Training("run", 100_000, 2, "--checkpoint-every", "10"), "--data-parallel", "--collective-timeout", "3"]);
        WaitForCheckpoint(run, job);
        job.Signal(1, "STOP");
        var (code, output, error) = job.WaitForExit(TimeSpan.FromSeconds(60));
        Assert.AreNotEqual(0, code);
        StringAssert.Contains(error, "rank 0 of 2 failed; stopping every rank");
        StringAssert.Contains(error, "waited 3 s for the other ranks in ");
        Assert.IsNotNull(new CheckpointStore(run).LoadNewestIntact(_ => Assert.Fail("a checkpoint was damaged")), output);
    }

    [TestMethod]
    public void SigtermToOneRankStopsEveryRankAfterTheSameStepWithACheckpoint()
    {
        var run = Path.Combine(_folder, "run");
        using var job = new MpiJob(2, [.. Training("run", 100_000, 2, "--checkpoint-every", "1000"), "--data-parallel"]);
        WaitForStep(run, 20, job);
        job.Signal(1, "TERM");   // what a scheduler preempting one node does; rank 0 is not told
        var (code, output, error) = job.WaitForExit(TimeSpan.FromSeconds(60));
        Assert.AreNotEqual(0, code, "the ranks exit 143");
        var stopped = System.Text.RegularExpressions.Regex.Match(output, "stopped: step ([0-9]+)");
        Assert.IsTrue(stopped.Success, output + error);
        Assert.AreEqual(long.Parse(stopped.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), new CheckpointStore(run).LatestStep(), "the step every rank stopped after is saved");
        StringAssert.Contains(output, "the run is unfinished");
    }

    [TestMethod]
    public void ACollectiveTimeoutThatIsNotPositiveIsRefusedBeforeMpiStarts()
    {
        var (code, _, error) = CliRunner.Run([.. Training("run", 2, 2), "--data-parallel", "--collective-timeout", "0"]);
        Assert.AreEqual(1, code);
        StringAssert.Contains(error, "--collective-timeout must be a positive number of seconds (got 0)");
        Assert.IsFalse(Directory.Exists(Path.Combine(_folder, "run")));
    }

    [TestMethod]
    public void AnAccumulationTheRanksCannotShareIsRefusedAndTheJobEnds()
    {
        var (code, _, error) = MpiJob.Run(2, [.. Training("run", 2, 3), "--data-parallel"]);
        Assert.AreNotEqual(0, code);
        StringAssert.Contains(error, "--accumulation 3 (micro-batches per optimizer step, over all ranks) must be a multiple of the 2 ranks");
        Assert.IsFalse(Directory.Exists(Path.Combine(_folder, "run")), "nothing was written");
    }

    [TestMethod]
    public void ExpertShardsAcrossTwoRanksEqualOneProcessWithTheShardsInHomesOfTheirOwn()
    {
        var one = CliRunner.Run(Training("one", 4, 2, "--expert-shards", "2", "--expert-devices", "cpu,cpu"));
        Assert.AreEqual(0, one.ExitCode, one.Error);
        var two = MpiJob.Run(2, [.. Training("two", 4, 2, "--expert-shards", "2"), "--data-parallel"]);
        Assert.AreEqual(0, two.ExitCode, two.Output + two.Error);

        // Tokens to the shards and back, each shard's gradients accumulated source by source, the trunk's summed over the ranks.
        AssertSameCheckpoint(Path.Combine(_folder, "one"), Path.Combine(_folder, "two"), 4);
        CollectionAssert.AreEqual(WithoutTiming(Path.Combine(_folder, "one")), WithoutTiming(Path.Combine(_folder, "two")));

        // Saved by two ranks holding half the experts each, the run continues in one process.
        var resumed = CliRunner.Run("train", "--resume", Path.Combine(_folder, "two"), "--steps", "6");
        Assert.AreEqual(0, resumed.ExitCode, resumed.Error);
        Assert.AreEqual(6L, new CheckpointStore(Path.Combine(_folder, "two")).LatestStep());
    }

    [TestMethod]
    public void ExpertShardsThatNoTokenReachesLeaveTheGradientsAsTheWholeGraphHasThem()
    {
        // One token per rank and micro-batch, top-1 of 4 experts: in several micro-batches of these six steps
        // no token of either rank chooses one shard's experts, which then runs on nothing.
        var whole = CliRunner.Run(Training("whole", 6, 2, 1, 1, "--set", "experts=4", "top_k=1"));
        Assert.AreEqual(0, whole.ExitCode, whole.Error);
        var ranks = MpiJob.Run(2, [.. Training("ranks", 6, 2, 1, 1, "--set", "experts=4", "top_k=1", "--expert-shards", "2"), "--data-parallel"]);
        Assert.AreEqual(0, ranks.ExitCode, ranks.Output + ranks.Error);

        // Sharded, the routed outputs are added after the shared expert's: rounding apart from the whole graph,
        // which Adam's normalised steps can lift to a small fraction of the learning rate (3e-4) where a gradient is
        // near zero. Gradients an idle shard left unreset or dropped would move its experts by whole steps.
        var (expected, actual) = (Weights(Path.Combine(_folder, "whole"), 6), Weights(Path.Combine(_folder, "ranks"), 6));
        foreach (var (name, values) in expected)
        {
            var worst = values.Zip(actual[name]).Max(p => MathF.Abs(p.First - p.Second));
            Assert.IsLessThan(3e-5f, worst, $"{name}: {worst} apart");
        }

        var (wholeLosses, rankLosses) = (LanguageModelLosses(Path.Combine(_folder, "whole")), LanguageModelLosses(Path.Combine(_folder, "ranks")));
        for (var step = 0; step < wholeLosses.Length; step++)
        {
            Assert.AreEqual(wholeLosses[step], rankLosses[step], 1e-5 * wholeLosses[step], $"lm loss of step {step + 1}");
        }
    }

    [TestMethod]
    public void TwoCopiesOfTheExpertsOverFourRanksMatchOneProcessWithinSummationOrder()
    {
        // FLAME-MoE's layout in small: expert-parallel groups of 2 ranks, data-parallel across the 2 groups.
        Assert.AreEqual(0, CliRunner.Run(Training("one", 3, 4, "--expert-shards", "2", "--expert-devices", "cpu,cpu")).ExitCode);
        var four = MpiJob.Run(4, [.. Training("four", 3, 4, "--expert-shards", "2"), "--data-parallel"]);
        Assert.AreEqual(0, four.ExitCode, four.Output + four.Error);

        // A shard's gradients: (g0 + g1) from one copy's sources, plus (g2 + g3) from the other's.
        var (expected, actual) = (Weights(Path.Combine(_folder, "one"), 3), Weights(Path.Combine(_folder, "four"), 3));
        foreach (var (name, values) in expected)
        {
            var worst = values.Zip(actual[name]).Max(p => MathF.Abs(p.First - p.Second));
            Assert.IsLessThan(1e-4f * values.Max(v => MathF.Abs(v)), worst, $"{name}: {worst} apart");
        }
    }

    [TestMethod]
    public void ExpertShardsThatDoNotDivideTheRanksAreRefused()
    {
        var (code, _, error) = MpiJob.Run(2, [.. Training("run", 2, 2, "--expert-shards", "4", "--set", "experts=4"), "--data-parallel"]);
        Assert.AreNotEqual(0, code);
        StringAssert.Contains(error, "--expert-shards 4 spreads each copy of the experts over that many ranks, one shard each: launch a multiple of 4 ranks (got 2)");
    }

    private static void WaitForCheckpoint(string run, MpiJob job)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (new CheckpointStore(run).LatestStep() is null or < 20)
        {
            Assert.IsLessThan(60.0, clock.Elapsed.TotalSeconds, $"no checkpoint at step 20 within a minute:\n{job.Output}");
            Thread.Sleep(100);
        }
    }

    private static void WaitForTheRunLock(string run)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            try
            {
                Flame.Training.Loop.RunLock.Acquire(run, "test").Dispose();
                return;
            }
            catch (IOException) when (clock.Elapsed < TimeSpan.FromSeconds(10))
            {
                Thread.Sleep(100);
            }
        }
    }

    // Until rank 0's log has STEP rows.
    private static void WaitForStep(string run, int step, MpiJob job)
    {
        var log = Path.Combine(run, "logs", "train.csv");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!File.Exists(log) || File.ReadLines(log).Count() <= step)
        {
            Assert.IsLessThan(60.0, clock.Elapsed.TotalSeconds, $"step {step} not reached within a minute:\n{job.Output}");
            Thread.Sleep(100);
        }
    }

    // A copy of run FROM whose checkpoints end at STEP, as if it had stopped there.
    private string CutBack(string from, string to, long step)
    {
        var source = Path.Combine(_folder, from);
        var target = Path.Combine(_folder, to);
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var copy = Path.Combine(target, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
            File.Copy(file, copy);
        }

        var store = new CheckpointStore(target);
        foreach (var later in store.Steps().Where(s => s > step))
        {
            Directory.Delete(Path.Combine(store.Folder, CheckpointStore.NameOf(later)), recursive: true);
        }

        File.WriteAllText(Path.Combine(store.Folder, "latest"), CheckpointStore.NameOf(step));
        return target;
    }

    private static void AssertSameCheckpoint(string expected, string actual, long step)
    {
        foreach (var file in new[] { CheckpointStore.WeightsFile, CheckpointStore.OptimizerFile, CheckpointStore.StateFile })
        {
            var path = Path.Combine("checkpoints", CheckpointStore.NameOf(step), file);
            CollectionAssert.AreEqual(File.ReadAllBytes(Path.Combine(expected, path)), File.ReadAllBytes(Path.Combine(actual, path)), $"{path} of {actual} differs from {expected}'s");
        }
    }

    private static Dictionary<string, float[]> Weights(string run, long step)
    {
        using var file = SafeTensorsFile.Open(Path.Combine(run, "checkpoints", CheckpointStore.NameOf(step), CheckpointStore.WeightsFile));
        return file.Entries.ToDictionary(t => t.Name, t => file.Read<float>(t.Name));
    }

    private static double[] LanguageModelLosses(string run)
    {
        var lines = File.ReadAllLines(Path.Combine(run, "logs", "train.csv"));
        var column = Array.IndexOf(lines[0].Split(','), "lm_loss");
        return [.. lines.Skip(1).Select(l => double.Parse(l.Split(',')[column], System.Globalization.CultureInfo.InvariantCulture))];
    }

    // The training log without its tokens/s and ms-per-step columns.
    private static string[] WithoutTiming(string run)
    {
        var lines = File.ReadAllLines(Path.Combine(run, "logs", "train.csv"));
        var header = lines[0].Split(',');
        var timing = new[] { Array.IndexOf(header, "tokens_per_s"), Array.IndexOf(header, "ms_per_step") };
        return [.. lines.Select(l => string.Join(',', l.Split(',').Where((_, i) => !timing.Contains(i))))];
    }
}
