using Flame.Training.Checkpoints;

namespace Flame.Cli.Tests;

/// <summary>`flame train` and `flame bench train` from the command line, on a small indexed dataset.</summary>
[TestClass]
public sealed class TrainCommandTests
{
    private string _folder = "";

    [TestInitialize]
    public void Setup() => _folder = Directory.CreateTempSubdirectory("flame-cli-train-").FullName;

    [TestCleanup]
    public void Cleanup() => Directory.Delete(_folder, recursive: true);

    private string Dataset() => SmallDataset.Write(_folder);

    [TestMethod]
    public void TrainsResumesAndExtendsARun()
    {
        var run = Path.Combine(_folder, "run");
        var (code, output, error) = CliRunner.Run("train", "--config", "tiny-moe", "--data", Dataset(), "--run", run, "--steps", "4", "--seq", "32",
            "--micro-batch", "2", "--valid-every", "2", "--log-every", "1");
        Assert.AreEqual(0, code, error);
        StringAssert.Contains(output, "step      4/4");
        StringAssert.Contains(output, "valid ");
        Assert.AreEqual(4L, new CheckpointStore(run).LatestStep());

        (code, output, error) = CliRunner.Run("train", "--resume", run, "--steps", "6");
        Assert.AreEqual(0, code, error);
        StringAssert.Contains(output, "resuming");
        StringAssert.Contains(output, "step      6/6");
        Assert.AreEqual(6L, new CheckpointStore(run).LatestStep());
        Assert.HasCount(7, File.ReadAllLines(Path.Combine(run, "logs", "train.csv")));
        Assert.IsFalse(File.ReadAllText(Path.Combine(run, "logs", "train.csv")).Contains('\r'), "one line ending, LF, before and after the resume");

        // The run's checkpoints feed the other commands.
        (code, _, error) = CliRunner.Run("export", "--run", run);
        Assert.AreEqual(0, code, error);
    }

    [TestMethod]
    public void MissingOrWrongInputsGetOneClearLine()
    {
        var (code, _, error) = CliRunner.Run("train", "--config", "tiny-moe", "--steps", "3");
        Assert.AreNotEqual(0, code);
        StringAssert.Contains(error, "--data is required");
        Assert.DoesNotContain("   at ", error, "no stack trace");

        (code, _, error) = CliRunner.Run("train", "--config", "tiny-moe", "--data", Path.Combine(_folder, "missing"), "--steps", "3", "--run", Path.Combine(_folder, "r"));
        Assert.AreNotEqual(0, code);
        StringAssert.Contains(error, "missing");

        var tokenizer = Path.Combine(_folder, "tokenizer.json");
        File.WriteAllLines(Path.Combine(_folder, "text.txt"), Enumerable.Range(0, 200).Select(i => $"line {i} of a small corpus with words {i * 7 % 13}"));
        Assert.AreEqual(0, CliRunner.Run("tokenizer", "train", "--input", Path.Combine(_folder, "text.txt"), "--vocab-size", "400", "--out", tokenizer).ExitCode);
        (code, _, error) = CliRunner.Run("train", "--config", "tiny-moe", "--set", "vocab_size=260", "--data", Dataset(), "--tokenizer", tokenizer, "--steps", "3", "--run", Path.Combine(_folder, "r2"));
        Assert.AreNotEqual(0, code);
        StringAssert.Contains(error, "--set vocab_size=");

        (code, _, error) = CliRunner.Run("train", "--resume", _folder);
        Assert.AreNotEqual(0, code);
        StringAssert.Contains(error, "run.json");
    }

    [TestMethod]
    public void ATrainedRunIsServedAndLoadTested()
    {
        var run = Path.Combine(_folder, "run");
        var texts = Directory.CreateDirectory(Path.Combine(_folder, "texts")).FullName;
        for (var d = 0; d < 20; d++)
        {
            File.WriteAllLines(Path.Combine(texts, $"{d:D2}.txt"), Enumerable.Range(0, 30).Select(i => $"The whale {(i + d) % 7} swam under ship {i % 5}; the captain said {i % 3} words."));
        }

        var tokenizer = Path.Combine(_folder, "tokenizer.json");
        Assert.AreEqual(0, CliRunner.Run("tokenizer", "train", "--input", texts, "--vocab-size", "400", "--out", tokenizer).ExitCode);
        var data = Path.Combine(_folder, "tokens");
        Assert.AreEqual(0, CliRunner.Run("data", "tokenize", "--input", texts, "--tokenizer", tokenizer, "--out", data).ExitCode);
        var (code, _, error) = CliRunner.Run("train", "--config", "tiny-moe", "--data", data, "--tokenizer", tokenizer, "--run", run, "--steps", "3", "--seq", "32", "--micro-batch", "2");
        Assert.AreEqual(0, code, error);
        var export = Path.Combine(_folder, "export");
        Assert.AreEqual(0, CliRunner.Run("export", "--run", run, "--out", export).ExitCode);
        string output;
        (code, output, error) = CliRunner.Run("bench", "serve", "--model", export, "--endpoint", "completions", "--requests", "8", "--clients", "2", "--max-tokens", "4");
        Assert.AreEqual(0, code, error);
        StringAssert.Contains(output, "8 requests (0 failed)");
        StringAssert.Contains(output, "p99");
    }

    [TestMethod]
    public void BenchTrainReportsThroughputAndMemory()
    {
        var json = Path.Combine(_folder, "bench.json");
        var (code, output, error) = CliRunner.Run("bench", "train", "--config", "tiny-moe", "--batch", "2", "--seq", "32", "--steps", "2", "--warmup", "1", "--json", json);
        Assert.AreEqual(0, code, error);
        StringAssert.Contains(output, "tokens/s");
        StringAssert.Contains(output, "peak RSS");
        StringAssert.Contains(File.ReadAllText(json), "\"tokens_per_s\"");
    }
}
