using System.Diagnostics;

namespace Flame.Cli.Tests;

/// <summary>
/// A model-running command, in a process of its own with HOME and TMPDIR pointed at empty folders,
/// writes nothing outside its run: no telemetry logs (/tmp/mat-debug-*.log), no device ids or event
/// databases under ~/.cache, no DuckDB or .NET droppings.
/// </summary>
[TestClass]
public sealed class NothingWrittenOutsideTests
{
    private string _folder = "";

    [TestInitialize]
    public void Setup() => _folder = Directory.CreateTempSubdirectory("flame-cli-outside-").FullName;

    [TestCleanup]
    public void Cleanup() => Directory.Delete(_folder, recursive: true);

    [TestMethod]
    public void TrainingTracingAndAnalysisWriteOnlyTheirRun()
    {
        var home = Directory.CreateDirectory(Path.Combine(_folder, "home")).FullName;
        var temp = Directory.CreateDirectory(Path.Combine(_folder, "tmp")).FullName;
        var work = Directory.CreateDirectory(Path.Combine(_folder, "work")).FullName;
        var data = SmallDataset.Write(work, documents: 20);

        var before = Snapshot(work);
        var run = Path.Combine(work, "run");
        Flame(home, temp, work, "train", "--config", "tiny-moe", "--data", data, "--run", run, "--steps", "2", "--seq", "32", "--micro-batch", "2", "--valid-every", "2");
        Flame(home, temp, work, "trace", "--run", run, "--dataset", data, "--tokens", "256", "--seq-len", "32", "--out", Path.Combine(run, "traces"));
        Flame(home, temp, work, "analyze", "--traces", Path.Combine(run, "traces"), "--experts", "8", "--vocab-size", "512", "--out", Path.Combine(run, "analysis"));   // DuckDB

        Assert.AreEqual("", string.Join(", ", Snapshot(home)), "nothing in HOME");
        Assert.AreEqual("", string.Join(", ", Snapshot(temp)), "nothing in TMPDIR");
        var outside = Snapshot(work).Except(before).Where(path => path != "run" && !path.StartsWith("run/", StringComparison.Ordinal)).ToList();
        Assert.AreEqual("", string.Join(", ", outside), "nothing beside the run");
        Assert.IsTrue(File.Exists(Path.Combine(run, "traces", "samples", "samples.parquet")));
    }

    private static void Flame(string home, string temp, string work, params string[] args)
    {
        var start = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "flame"), args)
        {
            WorkingDirectory = work,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["HOME"] = home;
        start.Environment["TMPDIR"] = temp;
        start.Environment["XDG_CACHE_HOME"] = Path.Combine(home, ".cache");
        start.Environment.Remove("ORT_DISABLE_TELEMETRY");   // this test process has it set: flame must set it itself
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.AreEqual(0, process.ExitCode, $"flame {string.Join(' ', args)}: {error}{output.Result}");
    }

    private static List<string> Snapshot(string folder) =>
        [.. Directory.EnumerateFileSystemEntries(folder, "*", SearchOption.AllDirectories).Select(p => Path.GetRelativePath(folder, p)).Order()];
}
