using Flame.Data.Indexed;

namespace Flame.Data.Tests.Indexed;

[TestClass]
public sealed class IndexedDatasetTests
{
    private string _folder = null!;

    [TestInitialize]
    public void CreateFolder() => _folder = Directory.CreateTempSubdirectory("flame-indexed-").FullName;

    [TestCleanup]
    public void DeleteFolder() => Directory.Delete(_folder, recursive: true);

    private string Write(int vocabulary, params int[][] documents)
    {
        var prefix = Path.Combine(_folder, "corpus");
        using var writer = new IndexedDatasetWriter(prefix, vocabulary, overwrite: true);
        foreach (var document in documents)
        {
            writer.Add(document);
        }

        writer.Complete();
        return prefix;
    }

    [TestMethod]
    public void TheIndexHasMegatronsExactBytes()
    {
        var prefix = Write(50_277, [5, 6, 0], [7, 0]);

        byte[] expected =
        [
            .. "MMIDIDX\0\0"u8,
            1, 0, 0, 0, 0, 0, 0, 0,        // version 1
            8,                             // dtype uint16
            2, 0, 0, 0, 0, 0, 0, 0,        // 2 sequences
            3, 0, 0, 0, 0, 0, 0, 0,        // 3 document indices
            3, 0, 0, 0, 2, 0, 0, 0,        // lengths (int32)
            0, 0, 0, 0, 0, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0,                          // byte pointers (int64)
            0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0,  // document indices (int64)
        ];
        CollectionAssert.AreEqual(expected, File.ReadAllBytes(prefix + ".idx"));
        CollectionAssert.AreEqual(new byte[] { 5, 0, 6, 0, 0, 0, 7, 0, 0, 0 }, File.ReadAllBytes(prefix + ".bin"));
    }

    [TestMethod]
    public void RoundTripsUInt16AndInt32Tokens()
    {
        using (var small = IndexedDataset.Open(Write(50_277, [1, 2, 3], [65_000, 0])))
        {
            Assert.AreEqual(IndexedDatasetFormat.UInt16Code, small.DTypeCode);
            CollectionAssert.AreEqual(new[] { 65_000, 0 }, small.Sequence(1));
            Assert.AreEqual(5L, small.Tokens);
        }

        using var large = IndexedDataset.Open(Write(100_000, [99_999, 1]));
        Assert.AreEqual(IndexedDatasetFormat.Int32Code, large.DTypeCode);
        CollectionAssert.AreEqual(new[] { 99_999, 1 }, large.Sequence(0));
    }

    [TestMethod]
    public void MismatchedOrTruncatedPairsNameBothFiles()
    {
        var prefix = Write(50_277, [1, 2, 3], [4, 5]);
        File.WriteAllBytes(prefix + ".bin", File.ReadAllBytes(prefix + ".bin")[..^2]);
        var error = Assert.ThrowsExactly<InvalidDataException>(() => IndexedDataset.Open(prefix));
        StringAssert.Contains(error.Message, prefix + ".bin");
        StringAssert.Contains(error.Message, prefix + ".idx");

        File.WriteAllBytes(prefix + ".idx", File.ReadAllBytes(prefix + ".idx")[..30]);
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => IndexedDataset.Open(prefix)).Message, "truncated");

        File.WriteAllBytes(prefix + ".idx", [.. "NOTANIDX\0"u8, 1, 0]);
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => IndexedDataset.Open(prefix)).Message, "MMIDIDX");

        File.Delete(prefix + ".bin");
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => IndexedDataset.Open(prefix)).Message, ".bin is missing");
    }

    [TestMethod]
    public void AnAbandonedWriteLeavesNoPair()
    {
        var prefix = Path.Combine(_folder, "abandoned");
        using (var writer = new IndexedDatasetWriter(prefix, 512))
        {
            writer.Add([1, 2]);
        }

        Assert.IsEmpty(Directory.GetFiles(_folder));
    }
}
