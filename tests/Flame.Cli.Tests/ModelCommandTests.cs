using Flame.Runtime;

namespace Flame.Cli.Tests;

[TestClass]
public sealed class ModelCommandTests
{
    [TestMethod]
    public void InfoPrintsLayersAndParameters()
    {
        var result = CliRunner.Run("model", "info", "--config", "flame-moe-38m");
        Assert.AreEqual(0, result.ExitCode, result.Error);
        StringAssert.Contains(result.Output, "9 layers, hidden 256, 16 heads");
        StringAssert.Contains(result.Output, "total 100.7M, active 38.0M");
    }

    [TestMethod]
    public void ExportGraphWritesAModelOrtLoads()
    {
        var path = Path.Combine(Path.GetTempPath(), $"tiny-{Guid.NewGuid():N}.onnx");
        try
        {
            var result = CliRunner.Run("model", "export-graph", "--config", "tiny-moe", "--set", "layers=2", "--out", path, "--seed", "7");
            Assert.AreEqual(0, result.ExitCode, result.Error);
            using var session = new ModelSession(path);
            Assert.AreEqual("input_ids", session.Inputs.Single().Name);
            CollectionAssert.Contains(session.Outputs.Select(o => o.Name).ToArray(), "topk_indices.1");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void InvalidOverrideIsOneClearLine()
    {
        var result = CliRunner.Run("model", "info", "--config", "tiny-moe", "--set", "heads=5");
        Assert.AreEqual(1, result.ExitCode);
        StringAssert.Contains(result.Error, "heads (5) must divide hidden (64)");
        Assert.IsFalse(result.Error.Contains("   at "));
    }
}
