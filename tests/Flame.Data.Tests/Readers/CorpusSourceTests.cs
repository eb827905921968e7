using Flame.Data.Readers;
using Flame.Native.Tests.Support;
using static Flame.Data.Tests.Readers.ReaderTestFiles;

namespace Flame.Data.Tests.Readers;

[TestClass]
public sealed class CorpusSourceTests
{
    [TestMethod]
    public void PlainTextFileIsOneDocumentWithoutItsByteOrderMark()
    {
        using var folder = new TempFolder();
        var path = folder.File("speech.txt");
        File.WriteAllBytes(path, [0xEF, 0xBB, 0xBF, .. "Fellow citizens,\nhello."u8.ToArray()]);

        var document = ReadAll(new PlainTextSource(path)).Single();

        Assert.AreEqual("Fellow citizens,\nhello.", document.Text);
        Assert.AreEqual(new DocumentOrigin(path, 0, OriginUnit.File), document.Origin);
    }

    [TestMethod]
    public void InvalidUtf8InTextNamesTheLine()
    {
        using var folder = new TempFolder();
        var path = folder.File("latin1.txt");
        File.WriteAllBytes(path, WithByte("line one\nline two\nna\u0001ve\n", 0xEF));

        var error = Assert.ThrowsExactly<CorpusFormatException>(() => Texts(path));
        StringAssert.StartsWith(error.Message, $"{path}:3: invalid UTF-8");

        var skipping = new PlainTextSource(path, new ReaderOptions(SkipBad: true));
        Assert.IsEmpty(ReadAll(skipping));
        Assert.AreEqual(1L, skipping.Summary.Count(BadInputReason.InvalidUtf8));
    }

    [TestMethod]
    public void FoldersAreRecursedInSortedOrderAcrossFormats()
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder.File("b.txt"), "B");
        File.WriteAllText(folder.File("a/z.txt"), "AZ");
        File.WriteAllText(folder.File("a/b.txt"), "AB");
        WriteLines(folder.File("c/shard.jsonl"), JsonLine(1, "C1"), JsonLine(2, "C2"));
        File.WriteAllText(folder.File("notes.md"), "not a corpus file");
        File.WriteAllText(folder.File(".cache/x.txt"), "hidden");

        var source = CorpusSource.Open(folder.Path);

        CollectionAssert.AreEqual(new[] { "AB", "AZ", "B", "C1", "C2" }, ReadAll(source).Select(d => d.Text).ToArray());
        Assert.HasCount(4, source.Files);
    }

    [TestMethod]
    public void SeveralInputsAreReadInOrderWithOneSummary()
    {
        using var folder = new TempFolder();
        WriteLines(folder.File("one.jsonl"), JsonLine(1, "first"), "bad");
        File.WriteAllText(folder.File("two.txt"), "second");
        WriteLines(folder.File("three.ndjson"), "{}", JsonLine(2, "third"));

        var source = CorpusSource.Open([folder.File("one.jsonl"), folder.File("two.txt"), folder.File("three.ndjson")], new ReaderOptions(SkipBad: true));

        CollectionAssert.AreEqual(new[] { "first", "second", "third" }, ReadAll(source).Select(d => d.Text).ToArray());
        Assert.AreEqual(2L, source.Summary.Total);
        CollectionAssert.AreEqual(new[] { $"{folder.File("one.jsonl")}:2", $"{folder.File("three.ndjson")}:1" },
            source.Summary.Examples.Select(e => e.Origin.ToString()).ToArray());
    }

    [TestMethod]
    public void UnknownOrMissingInputsFailBeforeReading()
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder.File("data.csv"), "a,b");
        Directory.CreateDirectory(folder.File("empty/x"));

        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => CorpusSource.Open(folder.File("data.csv"))).Message, ".jsonl.zst");
        Assert.ThrowsExactly<FileNotFoundException>(() => CorpusSource.Open(folder.File("missing.jsonl")));
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => CorpusSource.Open(folder.File("empty"))).Message, "holds no corpus files");
    }

    [TestMethod]
    public void InvalidOptionsAreAllReportedAtOnce()
    {
        var error = Assert.ThrowsExactly<ArgumentException>(() => new ReaderOptions(TextField: "", MaxExamples: -1, MaxLineBytes: 0).Validate());

        StringAssert.Contains(error.Message, "TextField");
        StringAssert.Contains(error.Message, "MaxExamples");
        StringAssert.Contains(error.Message, "MaxLineBytes");
        Assert.ThrowsExactly<ArgumentException>(() => new JsonLinesSource("a.jsonl", new ReaderOptions(TextField: "")));
    }

    [TestMethod]
    public void FormatsAreDetectedByName()
    {
        Assert.AreEqual(CorpusFormat.JsonLines, CorpusFormats.Detect("shard_01.JSONL.ZST"));
        Assert.AreEqual(CorpusFormat.Parquet, CorpusFormats.Detect("/x/train-00000.parquet"));
        Assert.AreEqual(CorpusFormat.PlainText, CorpusFormats.Detect("moby.txt"));
        Assert.IsNull(CorpusFormats.Detect("archive.txt.gz"));
        Assert.IsTrue(((JsonLinesSource)CorpusSource.ForFile("a.jsonl.zst")).IsCompressed);
        Assert.IsTrue(((JsonLinesSource)CorpusSource.ForFile("a.jsonl.zstd")).IsCompressed);
        Assert.IsFalse(((JsonLinesSource)CorpusSource.ForFile("a.ndjson")).IsCompressed);
    }
}
