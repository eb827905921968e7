using Flame.Data.Demo;

namespace Flame.Data.Tests.Demo;

[TestClass]
public sealed class DemoCorpusTests
{
    [TestMethod]
    public void BuildsTheSpeechesAndChaptersFromNpmIdempotently()
    {
        var folder = Directory.CreateTempSubdirectory("flame-demo-").FullName;
        try
        {
            Assert.AreEqual(233 + 139, DemoCorpus.Build(folder), "233 State of the Union addresses, Moby-Dick's 135 chapters with its front and back matter");
            Assert.AreEqual(233 + 139, DemoCorpus.Build(folder), "a second build changes nothing");
            StringAssert.StartsWith(File.ReadAllText(Path.Combine(folder, "moby-dick", "chapter_1.txt")), "CHAPTER 1. Loomings.");
            Assert.IsFalse(File.Exists(Path.Combine(folder, "moby-dick", "data.txt")), "the whole-book copy would duplicate the chapters");
            Assert.IsEmpty(Directory.GetFiles(folder, "*.json", SearchOption.AllDirectories));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
