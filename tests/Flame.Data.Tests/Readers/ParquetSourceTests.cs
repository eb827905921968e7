using Flame.Data.Readers;
using Flame.Native.DuckDb;
using Flame.Native.Tests.Support;
using static Flame.Data.Tests.Readers.ReaderTestFiles;

namespace Flame.Data.Tests.Readers;

[TestClass]
public sealed class ParquetSourceTests
{
    [TestMethod]
    public void ReadsTheTextColumnInFileOrderWithRowNumbers()
    {
        using var folder = new TempFolder();
        var path = WriteParquet(folder, "docs.parquet", "SELECT i AS id, 'doc ' || i || ' ' || repeat('é', i % 20) AS text FROM range(10000) t(i)");

        var documents = ReadAll(new ParquetSource(path));

        Assert.HasCount(10_000, documents);
        Assert.AreEqual("doc 9999 " + new string('é', 19), documents[^1].Text);
        Assert.IsTrue(documents.Select((d, i) => d.Text.StartsWith($"doc {i} ", StringComparison.Ordinal)).All(x => x));
        Assert.AreEqual($"{path} row 10000", documents[^1].Origin.ToString());
    }

    [TestMethod]
    public void ColumnIsConfigurableAndMissingColumnIsNamed()
    {
        using var folder = new TempFolder();
        var path = WriteParquet(folder, "c.parquet", "SELECT 'body' AS content");

        CollectionAssert.AreEqual(new[] { "body" }, Texts(path, new ReaderOptions(TextField: "content")));
        var error = Assert.ThrowsExactly<CorpusFormatException>(() => Texts(path));
        Assert.AreEqual(BadInputReason.MissingField, error.Reason);
        StringAssert.Contains(error.Message, "no column \"text\"");
        StringAssert.StartsWith(error.Message, path);
    }

    [TestMethod]
    public void NullTextAndNonStringColumnsAreRejected()
    {
        using var folder = new TempFolder();
        var nulls = WriteParquet(folder, "nulls.parquet", "SELECT * FROM (VALUES ('a'), (NULL), ('c')) t(text)");
        var numbers = WriteParquet(folder, "numbers.parquet", "SELECT 42 AS text");

        var source = new ParquetSource(nulls, new ReaderOptions(SkipBad: true));
        CollectionAssert.AreEqual(new[] { "a", "c" }, ReadAll(source).Select(d => d.Text).ToArray());
        Assert.AreEqual($"{nulls} row 2", source.Summary.Examples.Single().Origin.ToString());
        var error = Assert.ThrowsExactly<CorpusFormatException>(() => Texts(numbers));
        Assert.AreEqual(BadInputReason.NotAString, error.Reason);
        StringAssert.Contains(error.Message, "Integer");
    }

    [TestMethod]
    public void TruncatedParquetThrowsOrIsSkipped()
    {
        using var folder = new TempFolder();
        var path = WriteParquet(folder, "full.parquet", "SELECT 'text ' || i AS text FROM range(1000) t(i)");
        var cut = folder.File("cut.parquet");
        ExternalTools.Truncate(path, cut, new FileInfo(path).Length - 100);

        var error = Assert.ThrowsExactly<CorpusFormatException>(() => Texts(cut));
        Assert.AreEqual(BadInputReason.BadParquet, error.Reason);
        StringAssert.StartsWith(error.Message, cut);

        var source = CorpusSource.Open([cut, path], new ReaderOptions(SkipBad: true));
        Assert.HasCount(1000, ReadAll(source), "the good file after the broken one is still read");
        Assert.AreEqual(1L, source.Summary.Count(BadInputReason.BadParquet));
    }

    [TestMethod]
    public void CorruptBytesInsideParquetAreReported()
    {
        using var folder = new TempFolder();
        var path = WriteParquet(folder, "big.parquet", "SELECT 'text ' || i || ' ' || md5(i::VARCHAR) AS text FROM range(50000) t(i)");
        var bytes = File.ReadAllBytes(path);
        // Overwrite the middle of the data pages, leaving the footer intact.
        Array.Fill(bytes, (byte)0xFF, bytes.Length / 3, 4096);
        var broken = folder.File("broken.parquet");
        File.WriteAllBytes(broken, bytes);

        var error = Assert.ThrowsExactly<CorpusFormatException>(() => Texts(broken));

        Assert.AreEqual(BadInputReason.BadParquet, error.Reason);
        StringAssert.StartsWith(error.Message, broken);
    }

    private static string WriteParquet(TempFolder folder, string name, string select)
    {
        var path = folder.File(name);
        using var connection = DuckDbConnections.Open();
        connection.Execute($"COPY ({select}) TO '{path}' (FORMAT PARQUET)");
        return path;
    }
}
