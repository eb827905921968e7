namespace Flame.Runtime.Tests;

[TestClass]
public sealed class SmokeTests
{
    [TestMethod]
    public void NativeLibraryIsCopiedNextToTheTests()
    {
        Assert.IsTrue(File.Exists(Path.Combine(AppContext.BaseDirectory, "libonnxruntime.so.1")));
    }
}
