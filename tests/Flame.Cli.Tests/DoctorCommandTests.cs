namespace Flame.Cli.Tests;

[TestClass]
public sealed class DoctorCommandTests
{
    [TestMethod]
    public void ReportsOrtVersionProvidersAndCuda()
    {
        var result = CliRunner.Run("doctor");

        Assert.AreEqual(0, result.ExitCode, result.Error);
        StringAssert.Contains(result.Output, "ONNX Runtime     1.31.0 (CPU build, Microsoft.ML.OnnxRuntime)");
        StringAssert.Contains(result.Output, "CPUExecutionProvider");
        StringAssert.Contains(result.Output, "/libonnxruntime.so");
        StringAssert.Contains(result.Output, "telemetry      off");
        StringAssert.Contains(result.Output, "CUDA ");
        StringAssert.Contains(result.Output, "DuckDB           v1.5.6");
    }

    [TestMethod]
    public void UnknownCommandIsAUsageErrorNotACrash()
    {
        var result = CliRunner.Run("frobnicate");
        Assert.AreNotEqual(0, result.ExitCode);
        StringAssert.Contains(result.Error, "frobnicate");
    }
}
