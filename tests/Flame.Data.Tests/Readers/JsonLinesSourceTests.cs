using Flame.Data.Readers;
using Flame.Native.Tests.Support;
using static Flame.Data.Tests.Readers.ReaderTestFiles;

namespace Flame.Data.Tests.Readers;

[TestClass]
public sealed class JsonLinesSourceTests
{
    [TestMethod]
    public void ReadsTheTextFieldWithLineNumbers()
    {
        using var folder = new TempFolder();
        var path = folder.File("shard.jsonl");
        WriteLines(path, JsonLine(1, "first\ndocument"), "", JsonLine(2, "Grüße 🙂"), "{\"body\": \"b\", \"text\": \"escaped \\\"quote\\\" \\u00e9\"}\r");

        var source = new JsonLinesSource(path);
        var documents = ReadAll(source);

        CollectionAssert.AreEqual(new[] { "first\ndocument", "Grüße 🙂", "escaped \"quote\" é" }, documents.Select(d => d.Text).ToArray());
        CollectionAssert.AreEqual(new[] { 1L, 3L, 4L }, documents.Select(d => d.Origin.Position).ToArray());
        Assert.AreEqual($"{path}:3", documents[1].Origin.ToString());
        Assert.AreEqual(1L, source.Summary.BlankLines);
        Assert.AreEqual(0L, source.Summary.Total);
    }

    [TestMethod]
    public void TextFieldIsConfigurable()
    {
        using var folder = new TempFolder();
        var path = folder.File("c.jsonl");
        WriteLines(path, "{\"text\": \"not this\", \"content\": \"this\"}");

        CollectionAssert.AreEqual(new[] { "this" }, Texts(path, new ReaderOptions(TextField: "content")));
    }

    [TestMethod]
    public void BadLinesThrowWithFileAndLine()
    {
        using var folder = new TempFolder();
        var path = folder.File("bad.jsonl");
        WriteLines(path, JsonLine(1, "good"), "{\"text\": \"unterminated}");

        var source = new JsonLinesSource(path);
        using var documents = source.ReadDocuments().GetEnumerator();
        Assert.IsTrue(documents.MoveNext());
        var error = Assert.ThrowsExactly<CorpusFormatException>(() => documents.MoveNext());

        Assert.AreEqual(BadInputReason.InvalidJson, error.Reason);
        StringAssert.StartsWith(error.Message, $"{path}:2: invalid JSON");
    }

    [TestMethod]
    public void EveryKindOfBadLineIsSkippedAndCounted()
    {
        using var folder = new TempFolder();
        var path = folder.File("mixed.jsonl");
        var lines = new List<byte[]>
        {
            "{\"text\": \"one\"}"u8.ToArray(),
            "not json at all"u8.ToArray(),
            "{\"id\": 3}"u8.ToArray(),
            "{\"text\": null}"u8.ToArray(),
            "{\"text\": 42}"u8.ToArray(),
            WithByte("{\"text\": \"caf\u0001(\"}", 0xC3),
            "[\"an\", \"array\"]"u8.ToArray(),
            "{\"text\": \"trailing\"} garbage"u8.ToArray(),
            "{\"text\": \"two\"}"u8.ToArray(),
        };
        File.WriteAllBytes(path, lines.SelectMany(l => l.Append((byte)'\n')).ToArray());

        var source = new JsonLinesSource(path, new ReaderOptions(SkipBad: true, MaxExamples: 3));
        var texts = ReadAll(source).Select(d => d.Text).ToArray();

        CollectionAssert.AreEqual(new[] { "one", "two" }, texts);
        var summary = source.Summary;
        Assert.AreEqual(7L, summary.Total);
        Assert.AreEqual(3L, summary.Count(BadInputReason.InvalidJson));
        Assert.AreEqual(1L, summary.Count(BadInputReason.MissingField));
        Assert.AreEqual(2L, summary.Count(BadInputReason.NotAString));
        Assert.AreEqual(1L, summary.Count(BadInputReason.InvalidUtf8));
        Assert.HasCount(3, summary.Examples);
        Assert.AreEqual($"{path}:2", summary.Examples[0].Origin.ToString());
        Assert.AreEqual(BadInputReason.MissingField, summary.Examples[1].Reason);
        StringAssert.Contains(summary.Examples[2].Detail, "null");
        StringAssert.Contains(summary.ToString(), "7 bad inputs skipped");
        StringAssert.Contains(summary.ToString(), $"{path}:3");
    }

    [TestMethod]
    public void InvalidUtf8NamesTheLineAndBytes()
    {
        using var folder = new TempFolder();
        var path = folder.File("latin1.jsonl");
        File.WriteAllBytes(path, WithByte("{\"text\": \"ok\"}\n{\"text\": \"na\u0001ve\"}\n", 0xEF));

        var error = Assert.ThrowsExactly<CorpusFormatException>(() => Texts(path));

        Assert.AreEqual(BadInputReason.InvalidUtf8, error.Reason);
        StringAssert.StartsWith(error.Message, $"{path}:2: invalid UTF-8 at byte 12");
    }

    [TestMethod]
    public void OverlongLinesAreRejectedWithBoundedMemory()
    {
        using var folder = new TempFolder();
        var path = folder.File("long.jsonl");
        WriteLines(path, JsonLine(1, new string('a', 10_000)), JsonLine(2, "short"));

        var source = new JsonLinesSource(path, new ReaderOptions(SkipBad: true, MaxLineBytes: 1000));

        CollectionAssert.AreEqual(new[] { "short" }, ReadAll(source).Select(d => d.Text).ToArray());
        Assert.AreEqual(1L, source.Summary.Count(BadInputReason.LineTooLong));
        Assert.AreEqual(1L, source.Summary.Examples[0].Origin.Position);
    }

    [TestMethod]
    public void LinesLongerThanTheReadBufferGrowItUpToTheLimit()
    {
        using var folder = new TempFolder();
        var path = folder.File("huge.jsonl");
        var big = new string('b', 90_000);
        WriteLines(path, JsonLine(1, new string('a', 300_000)), JsonLine(2, big), JsonLine(3, "end"));

        var source = new JsonLinesSource(path, new ReaderOptions(SkipBad: true, MaxLineBytes: 100_000));

        CollectionAssert.AreEqual(new[] { big, "end" }, ReadAll(source).Select(d => d.Text).ToArray());
        CollectionAssert.AreEqual(new[] { 2L, 3L }, ReadAll(source).Select(d => d.Origin.Position).ToArray());
        Assert.AreEqual(2L, source.Summary.Count(BadInputReason.LineTooLong), "counted once per enumeration");
    }

    [TestMethod]
    public void LastLineWithoutNewlineIsRead()
    {
        using var folder = new TempFolder();
        var path = folder.File("nonl.jsonl");
        File.WriteAllText(path, JsonLine(1, "a") + "\n" + JsonLine(2, "b"));

        CollectionAssert.AreEqual(new[] { "a", "b" }, Texts(path));
    }
}
