using Flame.Onnx.IO;

namespace Flame.Onnx.Tests;

[TestClass]
public sealed class AtomicFileTests
{
    [TestMethod]
    public void AFailedWriteLeavesThePreviousFileIntact()
    {
        var folder = Directory.CreateTempSubdirectory("flame-atomic-").FullName;
        var path = Path.Combine(folder, "checkpoint.bin");
        try
        {
            AtomicFile.WriteAllText(path, "version 1");

            Assert.ThrowsExactly<IOException>(() => AtomicFile.Write(path, stream =>
            {
                stream.Write("half of version 2"u8);
                throw new IOException("disk full");
            }));

            Assert.AreEqual("version 1", File.ReadAllText(path));
            CollectionAssert.AreEqual(new[] { path }, Directory.GetFiles(folder), "no temporary file is left behind");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
