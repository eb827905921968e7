namespace Flame.Runtime.Tests;

[TestClass]
public sealed class RuntimeInfoTests
{
    [TestMethod]
    public void ReportsTheVersionProvidersAndLibraryPath()
    {
        var info = RuntimeInfo.Probe();

        StringAssert.StartsWith(info.Version, "1.29.");
        CollectionAssert.Contains(info.AvailableProviders.ToArray(), "CPUExecutionProvider");
        Assert.IsTrue(File.Exists(info.LibraryPath), info.LibraryPath);
        Assert.IsFalse(string.IsNullOrEmpty(info.BuildInfo));
        Assert.IsFalse(string.IsNullOrEmpty(info.CudaStatus));
    }

    [TestMethod]
    public void DeviceParsing()
    {
        Assert.AreEqual(ExecutionDevice.Cpu, ExecutionDevice.Parse("cpu"));
        Assert.AreEqual(ExecutionDevice.Cuda(1), ExecutionDevice.Parse("cuda:1"));
        Assert.AreEqual("cuda:0", ExecutionDevice.Parse("CUDA").ToString());
        Assert.ThrowsExactly<FormatException>(() => ExecutionDevice.Parse("tpu"));
    }
}
