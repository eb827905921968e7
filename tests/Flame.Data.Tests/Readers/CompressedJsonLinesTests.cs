using Flame.Data.Readers;
using Flame.Native.Tests.Support;
using static Flame.Data.Tests.Readers.ReaderTestFiles;

namespace Flame.Data.Tests.Readers;

[TestClass]
public sealed class CompressedJsonLinesTests
{
    private static readonly string[] Lines = Enumerable.Range(1, 20_000).Select(i => JsonLine(i, $"document {i} " + new string('x', i % 50))).ToArray();

    [TestMethod]
    public void ReadsAZstFileMadeByTheCli()
    {
        using var folder = new TempFolder();
        var plain = folder.File("shard_00.jsonl");
        WriteLines(plain, Lines);
        ExternalTools.Zstd(plain, plain + ".zst");

        var documents = ReadAll(new JsonLinesSource(plain + ".zst"));

        Assert.HasCount(20_000, documents);
        Assert.AreEqual("document 20000 ", documents[^1].Text);
        Assert.AreEqual($"{plain}.zst:20000", documents[^1].Origin.ToString());
    }

    [TestMethod]
    public void TruncatedZstThrowsNamingTheFileAndLine()
    {
        using var folder = new TempFolder();
        var cut = MakeTruncated(folder);

        var error = Assert.ThrowsExactly<CorpusFormatException>(() => Texts(cut));

        Assert.AreEqual(BadInputReason.BadCompression, error.Reason);
        StringAssert.StartsWith(error.Message, cut + ":");
        StringAssert.Contains(error.Message, "truncated");
        Assert.IsTrue(error.Origin.Position is > 1 and < 20_000, $"line {error.Origin.Position}");
    }

    [TestMethod]
    public void TruncatedZstWithSkipKeepsTheWholeLinesBeforeTheBreak()
    {
        using var folder = new TempFolder();
        var cut = MakeTruncated(folder);

        var source = new JsonLinesSource(cut, new ReaderOptions(SkipBad: true));
        var documents = ReadAll(source);

        Assert.AreEqual(1L, source.Summary.Count(BadInputReason.BadCompression));
        Assert.AreEqual(documents.Count + 1, source.Summary.Examples[0].Origin.Position, "the break is blamed on the line after the last whole one");
        CollectionAssert.AreEqual(Lines.Take(documents.Count).Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("text").GetString()).ToArray(),
            documents.Select(d => d.Text).ToArray());
    }

    [TestMethod]
    public void CorruptZstIsRejected()
    {
        using var folder = new TempFolder();
        var path = folder.File("fake.jsonl.zst");
        WriteLines(path, JsonLine(1, "this file was never compressed"));

        var error = Assert.ThrowsExactly<CorpusFormatException>(() => Texts(path));

        Assert.AreEqual(BadInputReason.BadCompression, error.Reason);
        StringAssert.Contains(error.Message, "not valid zstd data");
    }

    /// <summary>A .jsonl.zst cut at half its compressed size.</summary>
    private static string MakeTruncated(TempFolder folder)
    {
        var plain = folder.File("shard.jsonl");
        WriteLines(plain, Lines);
        ExternalTools.Zstd(plain, plain + ".zst");
        var cut = folder.File("cut.jsonl.zst");
        ExternalTools.Truncate(plain + ".zst", cut, new FileInfo(plain + ".zst").Length / 2);
        return cut;
    }
}
