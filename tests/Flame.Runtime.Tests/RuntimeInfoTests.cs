namespace Flame.Runtime.Tests;

[TestClass]
public sealed class RuntimeInfoTests
{
    [TestMethod]
    public void ReportsThePinnedVersionProvidersAndTheLibraryFromTheOutputFolder()
    {
        var info = RuntimeInfo.Probe();

        Assert.AreEqual(RuntimeInfo.PinnedVersion, info.Version);
        CollectionAssert.Contains(info.AvailableProviders.ToArray(), "CPUExecutionProvider");
        Assert.IsTrue(File.Exists(info.LibraryPath), info.LibraryPath);
        Assert.AreEqual(Path.GetFullPath(AppContext.BaseDirectory).TrimEnd('/'), Path.GetDirectoryName(info.LibraryPath), "NuGet's linux-x64 native asset, beside the assemblies");
        Assert.IsFalse(string.IsNullOrEmpty(info.CudaStatus));
    }

    [TestMethod]
    public void TheOutputHoldsOnlyLinuxNativeLibraries()
    {
        var folder = AppContext.BaseDirectory;
        Assert.IsFalse(Directory.Exists(Path.Combine(folder, "runtimes")), "no runtimes/<rid>/ tree of other platforms");
        Assert.AreEqual(0, Directory.GetFiles(folder, "*.dll").Count(f => Path.GetFileName(f).StartsWith("onnxruntime", StringComparison.OrdinalIgnoreCase)), "no Windows ORT files");
        Assert.IsTrue(File.Exists(Path.Combine(folder, "libonnxruntime.so")));
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
