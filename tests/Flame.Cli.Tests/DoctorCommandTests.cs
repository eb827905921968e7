namespace Flame.Cli.Tests;

[TestClass]
public sealed class DoctorCommandTests
{
    [TestMethod]
    public void ReportsOrtVersionProvidersAndCuda()
    {
        var result = CliRunner.Run("doctor");

        Assert.AreEqual(0, result.ExitCode, result.Error);
        StringAssert.Contains(result.Output, "ONNX Runtime     1.29.0");
        StringAssert.Contains(result.Output, "CPUExecutionProvider");
        StringAssert.Contains(result.Output, "libonnxruntime.so.1");
        StringAssert.Contains(result.Output, "CUDA ");
    }

    [TestMethod]
    public void UnknownCommandIsAUsageErrorNotACrash()
    {
        var result = CliRunner.Run("frobnicate");
        Assert.AreNotEqual(0, result.ExitCode);
        StringAssert.Contains(result.Error, "frobnicate");
    }
}
