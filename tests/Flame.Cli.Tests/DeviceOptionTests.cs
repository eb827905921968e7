namespace Flame.Cli.Tests;

/// <summary>Every command that runs a model takes --device; CUDA on a machine without it is a clear error.</summary>
[TestClass]
public sealed class DeviceOptionTests
{
    [TestMethod]
    [DataRow("train")]
    [DataRow("eval")]
    [DataRow("trace")]
    [DataRow("serve")]
    [DataRow("quickstart")]
    [DataRow("bench", "train")]
    [DataRow("bench", "forward")]
    public void CommandsThatRunAModelTakeADevice(string command, string? subcommand = null)
    {
        var (exitCode, output, _) = CliRunner.Run([command, .. subcommand is null ? Array.Empty<string>() : [subcommand], "--help"]);
        Assert.AreEqual(0, exitCode);
        StringAssert.Contains(output, "--device");
        StringAssert.Contains(output, "cuda:N");
    }

    [TestMethod]
    public void CudaWithoutCudaIsAClearErrorNotAStackTrace()
    {
        if (Flame.Runtime.RuntimeInfo.Probe().CudaUsable)
        {
            Assert.Inconclusive("this machine has a working CUDA provider");
        }

        var (exitCode, _, error) = CliRunner.Run("bench", "forward", "--config", "tiny-moe", "--device", "cuda:0");
        Assert.AreNotEqual(0, exitCode);
        StringAssert.Contains(error, "flame setup cuda");
        Assert.DoesNotContain("   at ", error, "no stack trace");
    }

    [TestMethod]
    public void AnUnknownDeviceIsNamed()
    {
        var (exitCode, _, error) = CliRunner.Run("bench", "forward", "--config", "tiny-moe", "--device", "gpu");
        Assert.AreNotEqual(0, exitCode);
        StringAssert.Contains(error, "unknown device 'gpu'");
    }

    [TestMethod]
    public void TheCudaBuildIsFetchedOnlyWhereTheDriverShowsAGpu()
    {
        var devices = Directory.CreateTempSubdirectory("flame-dev-").FullName;
        try
        {
            Assert.IsFalse(Commands.CudaBuild.GpuVisible(devices), "no driver nodes: no GPU, nothing is downloaded");
            File.WriteAllText(Path.Combine(devices, "nvidiactl"), "");
            Assert.IsFalse(Commands.CudaBuild.GpuVisible(devices), "the control node alone is not a device");
            File.WriteAllText(Path.Combine(devices, "nvidia0"), "");
            Assert.IsTrue(Commands.CudaBuild.GpuVisible(devices));
        }
        finally
        {
            Directory.Delete(devices, recursive: true);
        }

        if (Commands.CudaBuild.GpuVisible())
        {
            Assert.Inconclusive("this machine has a GPU");
        }

        var (exitCode, _, error) = CliRunner.Run("setup", "cuda");
        Assert.AreEqual(1, exitCode);
        StringAssert.Contains(error, "shows no NVIDIA GPU");
        StringAssert.Contains(error, "nothing was fetched");
        Assert.IsFalse(File.Exists(Path.Combine(Commands.CudaBuild.Folder, "libonnxruntime_providers_cuda.so")));
    }
}
