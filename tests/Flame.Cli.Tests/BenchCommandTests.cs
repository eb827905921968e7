using System.Text.Json;

namespace Flame.Cli.Tests;

/// <summary>The benchmark commands run end to end on a tiny config (what they measure is not asserted: benchmarks are not timed tests).</summary>
[TestClass]
public sealed class BenchCommandTests
{
    private string _folder = "";

    [TestInitialize]
    public void Setup() => _folder = Directory.CreateTempSubdirectory("flame-bench-").FullName;

    [TestCleanup]
    public void Cleanup() => Directory.Delete(_folder, recursive: true);

    [TestMethod]
    public void ForwardReportsPrefillDecodeAndAProfile()
    {
        var (exitCode, output, error) = CliRunner.Run("bench", "forward", "--config", "tiny-moe", "--batch", "2", "--seq", "16", "--runs", "2", "--decode", "4",
            "--profile", Path.Combine(_folder, "profile"));
        Assert.AreEqual(0, exitCode, error);
        StringAssert.Contains(output, "forward (prefill) median");
        StringAssert.Contains(output, "decode with KV cache: 4 tokens x 2 sequences");
        StringAssert.Matches(output, new System.Text.RegularExpressions.Regex(@"%\s+[\d.]+ ms\s+\d+ calls\s+MatMul \(CPUExecutionProvider\)"));
        Assert.HasCount(1, Directory.GetFiles(Path.Combine(_folder, "profile"), "*.json"));
    }

    [TestMethod]
    public void DecodingPastTheModelsLengthIsRefused()
    {
        var (exitCode, _, error) = CliRunner.Run("bench", "forward", "--config", "tiny-moe", "--seq", "250", "--runs", "1", "--decode", "10");
        Assert.AreNotEqual(0, exitCode);
        StringAssert.Contains(error, "exceeds the model's max_seq_len 256");
    }

    [TestMethod]
    public void TrainWithShardsPrecisionProfileAndMfu()
    {
        var json = Path.Combine(_folder, "result.json");
        var (exitCode, output, error) = CliRunner.Run("bench", "train", "--config", "tiny-moe", "--batch", "2", "--seq", "16", "--steps", "2", "--warmup", "1",
            "--expert-shards", "2", "--expert-devices", "cpu,cpu", "--precision", "fp16", "--peak-tflops", "1", "--profile", Path.Combine(_folder, "profile"), "--json", json);
        Assert.AreEqual(0, exitCode, error);
        StringAssert.Contains(output, "cpu, fp16:");
        StringAssert.Contains(output, "MFU");
        StringAssert.Contains(output, "kernel time by operator");
        using var result = JsonDocument.Parse(File.ReadAllText(json));
        Assert.AreEqual(2, result.RootElement.GetProperty("expert_shards").GetInt32());
        Assert.IsGreaterThan(0.0, result.RootElement.GetProperty("mfu").GetDouble());
        // One profile per session: the trunk's and each shard's forward and backward, and the optimizer.
        Assert.IsGreaterThan(4, Directory.GetFiles(Path.Combine(_folder, "profile"), "*.json").Length);
    }
}
