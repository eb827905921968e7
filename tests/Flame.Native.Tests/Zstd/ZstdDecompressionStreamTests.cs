using System.Text;
using Flame.Native.Tests.Support;
using Flame.Native.Zstd;

namespace Flame.Native.Tests.Zstd;

[TestClass]
public sealed class ZstdDecompressionStreamTests
{
    [TestMethod]
    public void DecompressesWhatTheCliCompressed()
    {
        using var folder = new TempFolder();
        // Several MB of varied text: many input refills and output buffers.
        var text = string.Concat(Enumerable.Range(0, 200_000).Select(i => $"line {i} {i * 7919 % 10007}\n"));
        var original = folder.File("corpus.txt");
        File.WriteAllText(original, text);
        ExternalTools.Zstd(original, original + ".zst");

        using var stream = new ZstdDecompressionStream(File.OpenRead(original + ".zst"), original + ".zst");
        using var reader = new StreamReader(stream, Encoding.UTF8);

        Assert.AreEqual(text, reader.ReadToEnd());
        Assert.AreEqual(new FileInfo(original + ".zst").Length, stream.CompressedBytesRead);
    }

    [TestMethod]
    public void ConcatenatedFramesAreOneStream()
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder.File("a.txt"), "first frame\n");
        File.WriteAllText(folder.File("b.txt"), "second frame\n");
        ExternalTools.Zstd(folder.File("a.txt"), folder.File("a.zst"));
        ExternalTools.Zstd(folder.File("b.txt"), folder.File("b.zst"));
        var both = File.ReadAllBytes(folder.File("a.zst")).Concat(File.ReadAllBytes(folder.File("b.zst"))).ToArray();

        using var stream = new ZstdDecompressionStream(new MemoryStream(both));

        Assert.AreEqual("first frame\nsecond frame\n", new StreamReader(stream).ReadToEnd());
    }

    [TestMethod]
    public void SmallReadsGiveTheSameBytes()
    {
        using var folder = new TempFolder();
        var bytes = Enumerable.Range(0, 300_000).Select(i => (byte)(i * 31 % 251)).ToArray();
        File.WriteAllBytes(folder.File("data.bin"), bytes);
        ExternalTools.Zstd(folder.File("data.bin"), folder.File("data.zst"));

        using var stream = new ZstdDecompressionStream(File.OpenRead(folder.File("data.zst")));
        var output = new MemoryStream();
        var buffer = new byte[7];
        int read;
        while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
        {
            output.Write(buffer, 0, read);
        }

        CollectionAssert.AreEqual(bytes, output.ToArray());
    }

    [TestMethod]
    public void TruncatedFileIsAnErrorNotAShortRead()
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder.File("t.txt"), string.Concat(Enumerable.Range(0, 50_000).Select(i => $"{i}\n")));
        ExternalTools.Zstd(folder.File("t.txt"), folder.File("t.zst"));
        var truncated = folder.File("t-cut.zst");
        ExternalTools.Truncate(folder.File("t.zst"), truncated, new FileInfo(folder.File("t.zst")).Length - 10);

        using var stream = new ZstdDecompressionStream(File.OpenRead(truncated), truncated);
        var error = Assert.ThrowsExactly<InvalidDataException>(() => stream.CopyTo(Stream.Null));

        StringAssert.Contains(error.Message, truncated);
        StringAssert.Contains(error.Message, "truncated");
    }

    [TestMethod]
    public void CorruptAndEmptyInputAreErrors()
    {
        var notZstd = new ZstdDecompressionStream(new MemoryStream(Encoding.ASCII.GetBytes("plain text, not zstd")), "notes.zst");
        var corrupt = Assert.ThrowsExactly<InvalidDataException>(() => notZstd.CopyTo(Stream.Null));
        StringAssert.Contains(corrupt.Message, "notes.zst is not valid zstd data");

        var empty = new ZstdDecompressionStream(new MemoryStream(), "empty.zst");
        var none = Assert.ThrowsExactly<InvalidDataException>(() => empty.CopyTo(Stream.Null));
        StringAssert.Contains(none.Message, "empty.zst is empty");
    }

    [TestMethod]
    public void IsReadOnlyAndClosesItsInner()
    {
        var inner = new MemoryStream();
        var stream = new ZstdDecompressionStream(inner);

        Assert.IsFalse(stream.CanWrite || stream.CanSeek);
        Assert.ThrowsExactly<NotSupportedException>(() => stream.Write([1], 0, 1));
        stream.Dispose();
        Assert.IsFalse(inner.CanRead);
        Assert.ThrowsExactly<ObjectDisposedException>(() => stream.ReadByte());
    }
}
