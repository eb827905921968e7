using System.Diagnostics;
using Flame.Training.Checkpoints;
using Flame.Training.Loop;

namespace Flame.Cli.Tests;

/// <summary>One writer per run, and SIGTERM / SIGINT end training with a checkpoint and a non-zero exit.</summary>
[TestClass]
public sealed class RunSafetyTests
{
    private string _folder = "";

    [TestInitialize]
    public void Setup() => _folder = Directory.CreateTempSubdirectory("flame-run-safety-").FullName;

    [TestCleanup]
    public void Cleanup() => Directory.Delete(_folder, recursive: true);

    private string Dataset() => SmallDataset.Write(_folder);

    [TestMethod]
    public void ASecondWriterOfARunIsRefusedWithTheHoldersPid()
    {
        var run = Path.Combine(_folder, "run");
        Assert.AreEqual(0, CliRunner.Run("train", "--config", "tiny-moe", "--data", Dataset(), "--run", run, "--steps", "2", "--seq", "32", "--micro-batch", "2").ExitCode);

        using (RunLock.Acquire(run, "train --resume"))
        {
            var (code, _, error) = CliRunner.Run("train", "--resume", run, "--steps", "4");
            Assert.AreEqual(1, code);
            StringAssert.Contains(error, $"is in use by flame train --resume (pid {Environment.ProcessId})");
            Assert.AreEqual(1, CliRunner.Run("export", "--run", run).ExitCode, "export writes into the run too");
        }

        Assert.AreEqual(0, CliRunner.Run("train", "--resume", run, "--steps", "4").ExitCode, "the lock goes with its holder");
        Assert.AreEqual(4L, new CheckpointStore(run).LatestStep());
    }

    [TestMethod]
    public void ADamagedLatestCheckpointFallsBackToTheNewestIntactOne()
    {
        var run = Path.Combine(_folder, "run");
        Assert.AreEqual(0, CliRunner.Run("train", "--config", "tiny-moe", "--data", Dataset(), "--run", run, "--steps", "4", "--seq", "32", "--micro-batch", "2", "--checkpoint-every", "2").ExitCode);
        var weights = Path.Combine(run, "checkpoints", "iter_0000004", CheckpointStore.WeightsFile);
        var bytes = File.ReadAllBytes(weights);
        bytes[^1] ^= 0xff;
        File.WriteAllBytes(weights, bytes);
        var runJson = File.ReadAllText(Path.Combine(run, RunFiles.Options));

        var export = CliRunner.Run("export", "--run", run, "--out", Path.Combine(_folder, "export"));
        Assert.AreEqual(0, export.ExitCode, export.Error);
        StringAssert.Contains(export.Error, "iter_0000004 is damaged");
        var intact = new CheckpointStore(run).Steps().Where(step => step < 4).Max();
        Assert.AreEqual(intact.ToString(System.Globalization.CultureInfo.InvariantCulture), Flame.Onnx.Models.OnnxModelFile.Load(Path.Combine(_folder, "export", "model.onnx")).MetadataProps.Single(m => m.Key == "flame.step").Value, "the newest intact checkpoint was exported");

        var failed = CliRunner.Run("train", "--resume", run, "--device", "cuda");
        Assert.AreEqual(1, failed.ExitCode);
        Assert.AreEqual(runJson, File.ReadAllText(Path.Combine(run, RunFiles.Options)), "a failed resume leaves run.json as it was");

        var (code, output, error) = CliRunner.Run("train", "--resume", run, "--steps", "6");
        Assert.AreEqual(0, code, error);
        StringAssert.Contains(error, "falling back");
        StringAssert.Contains(output, "resuming");
        Assert.AreEqual(6L, new CheckpointStore(run).LatestStep());
        new CheckpointStore(run).Load(4);   // recomputed and saved anew: intact
    }

    [TestMethod]
    public void ANewRunThatFailsBeforeItsFirstStepLeavesNoFolder()
    {
        var run = Path.Combine(_folder, "never");
        var data = Dataset();
        var (code, _, error) = CliRunner.Run("train", "--config", "tiny-moe", "--data", data, "--run", run, "--steps", "3", "--lr", "NaN");
        Assert.AreEqual(1, code);
        StringAssert.Contains(error, "lr must be a positive number");
        Assert.IsFalse(Directory.Exists(run));
        (code, _, error) = CliRunner.Run("train", "--config", "tiny-moe", "--data", data, "--run", run, "--steps", "3", "--checkpoint-every", "-5");
        StringAssert.Contains(error, "checkpoint_every must not be negative");
        Assert.IsFalse(Directory.Exists(run));
    }

    [TestMethod]
    [DataRow("TERM", 143)]
    [DataRow("INT", 130)]
    public void ASignalFinishesTheStepSavesAndExitsNonZero(string signal, int exitCode)
    {
        if (signal == "INT" && InheritsIgnoredInterrupt())
        {
            Assert.Inconclusive("this test process ignores SIGINT (a background job of a non-interactive shell), and so would flame started from it");
        }

        var run = Path.Combine(_folder, "run");
        var start = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "flame"),
            ["train", "--config", "tiny-moe", "--data", Dataset(), "--run", run, "--steps", "100000", "--seq", "32", "--micro-batch", "2", "--log-every", "1", "--checkpoint-every", "100000"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var flame = Process.Start(start)!;
        var error = flame.StandardError.ReadToEndAsync();
        string? line;
        while ((line = flame.StandardOutput.ReadLine()) is not null && !line.StartsWith("step", StringComparison.Ordinal))
        {
        }

        Assert.IsNotNull(line, "training started");
        using (var kill = Process.Start("kill", [$"-{signal}", flame.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            kill.WaitForExit();
        }

        var rest = flame.StandardOutput.ReadToEndAsync();
        if (!flame.WaitForExit(60_000))
        {
            flame.Kill(entireProcessTree: true);
            Assert.Fail($"SIG{signal} did not stop training within a minute");
        }

        var output = rest.Result;
        Assert.AreEqual(exitCode, flame.ExitCode, output + error.Result);
        StringAssert.Contains(output, "the run is unfinished");
        var saved = new CheckpointStore(run).LatestStep();
        Assert.IsNotNull(saved, "a checkpoint was saved although --checkpoint-every is far off");
        Assert.IsLessThan(100_000L, saved.Value);
    }

    // SigIgn in /proc/self/status: the mask of ignored signals; SIGINT is signal 2, bit 1.
    private static bool InheritsIgnoredInterrupt() =>
        File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal)) is { } line
        && (Convert.ToUInt64(line["SigIgn:".Length..].Trim(), 16) & 0x2) != 0;
}
