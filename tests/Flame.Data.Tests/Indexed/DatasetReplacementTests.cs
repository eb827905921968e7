using Flame.Data.Indexed;

namespace Flame.Data.Tests.Indexed;

/// <summary>Replacing a dataset: only when asked, crash-atomically (the old pair or the new, never a mix), and no leftovers.</summary>
[TestClass]
public sealed class DatasetReplacementTests
{
    private string _prefix = null!;

    [TestInitialize]
    public void CreateFolder() => _prefix = Path.Combine(Directory.CreateTempSubdirectory("flame-replace-").FullName, "corpus");

    [TestCleanup]
    public void DeleteFolder() => Directory.Delete(Path.GetDirectoryName(_prefix)!, recursive: true);

    private void Write(bool overwrite, params int[][] documents)
    {
        using var writer = new IndexedDatasetWriter(_prefix, 512, overwrite);
        foreach (var document in documents)
        {
            writer.Add(document);
        }

        writer.Complete();
    }

    private int[] FirstDocument()
    {
        using var dataset = IndexedDataset.Open(_prefix);
        return dataset.Sequence(0);
    }

    [TestMethod]
    public void AnExistingDatasetIsReplacedOnlyWhenAsked()
    {
        Write(false, [1, 2, 0]);
        var error = Assert.ThrowsExactly<IOException>(() => Write(false, [3, 0]));
        StringAssert.Contains(error.Message, "--force");
        CollectionAssert.AreEqual(new[] { 1, 2, 0 }, FirstDocument());

        Write(true, [3, 0]);
        CollectionAssert.AreEqual(new[] { 3, 0 }, FirstDocument());
    }

    [TestMethod]
    public void AnEmptyInputReplacesNothing()
    {
        Write(false, [1, 2, 0]);
        Assert.ThrowsExactly<InvalidDataException>(() => Write(true));
        CollectionAssert.AreEqual(new[] { 1, 2, 0 }, FirstDocument());
    }

    [TestMethod]
    public void KilledAfterTheCommitTheNewPairWinsWhole()
    {
        Write(false, [1, 2, 0]);
        var old = (Bin: File.ReadAllBytes(IndexedDatasetPair.Bin(_prefix)), Idx: File.ReadAllBytes(IndexedDatasetPair.Idx(_prefix)));
        Write(true, [7, 8, 9, 0]);
        var fresh = (Bin: File.ReadAllBytes(IndexedDatasetPair.Bin(_prefix)), Idx: File.ReadAllBytes(IndexedDatasetPair.Idx(_prefix)));

        // The state a kill leaves between the two renames of a committed swap: new .bin in place, new .idx still staged.
        File.WriteAllBytes(IndexedDatasetPair.Bin(_prefix), fresh.Bin);
        File.WriteAllBytes(IndexedDatasetPair.Idx(_prefix), old.Idx);
        File.WriteAllBytes(IndexedDatasetPair.Staged(IndexedDatasetPair.Idx(_prefix)), fresh.Idx);
        File.WriteAllBytes(IndexedDatasetPair.Marker(_prefix), []);

        CollectionAssert.AreEqual(new[] { 7, 8, 9, 0 }, FirstDocument(), "the reader finishes the swap");
        Assert.IsFalse(File.Exists(IndexedDatasetPair.Marker(_prefix)));
        Assert.IsFalse(File.Exists(IndexedDatasetPair.Staged(IndexedDatasetPair.Idx(_prefix))));
    }

    [TestMethod]
    public void KilledBeforeTheCommitTheOldPairStaysAndLeftoversGo()
    {
        Write(false, [1, 2, 0]);
        // A killed write: a streaming .partial and staged files, but no marker.
        File.WriteAllBytes($"{_prefix}.bin.{Guid.NewGuid():N}.partial", [1, 2, 3]);
        File.WriteAllBytes(IndexedDatasetPair.Staged(IndexedDatasetPair.Bin(_prefix)), [4, 5]);

        Write(true, [5, 0]);

        CollectionAssert.AreEqual(new[] { 5, 0 }, FirstDocument());
        Assert.AreEqual(2, Directory.GetFiles(Path.GetDirectoryName(_prefix)!).Length, string.Join(", ", Directory.GetFiles(Path.GetDirectoryName(_prefix)!)));
    }
}
