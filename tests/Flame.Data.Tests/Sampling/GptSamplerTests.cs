using Flame.Data.Indexed;
using Flame.Data.Sampling;

namespace Flame.Data.Tests.Sampling;

[TestClass]
public sealed class GptSamplerTests
{
    private string _folder = null!;
    private IndexedDataset _dataset = null!;

    // 20 documents; document d holds 3 + d % 5 tokens, each token = 1000 d + position (so every token is unique).
    [TestInitialize]
    public void CreateDataset()
    {
        _folder = Directory.CreateTempSubdirectory("flame-sampler-").FullName;
        var prefix = Path.Combine(_folder, "d");
        using (var writer = new IndexedDatasetWriter(prefix, 100_000))
        {
            for (var d = 0; d < 20; d++)
            {
                writer.Add(Enumerable.Range(0, 3 + d % 5).Select(p => 1000 * d + p).ToArray());
            }

            writer.Complete();
        }

        _dataset = IndexedDataset.Open(prefix);
    }

    [TestCleanup]
    public void Cleanup()
    {
        _dataset.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    private static readonly int[] AllDocuments = Enumerable.Range(0, 20).ToArray();

    [TestMethod]
    public void WindowsOverlapByOneAndCoverTheEpochsTokens()
    {
        var sampler = new GptSampler(_dataset, AllDocuments, sequenceLength: 4, seed: 7);
        var windows = Enumerable.Range(0, sampler.WindowsPerEpoch).Select(_ => sampler.Next()).ToList();

        var total = AllDocuments.Sum(d => 3 + d % 5);
        Assert.AreEqual((total - 1) / 4, sampler.WindowsPerEpoch);
        Assert.IsTrue(windows.All(w => w.Length == 5));
        // Every window's first 4 tokens are distinct across the epoch: together they tile the stream.
        var inputs = windows.SelectMany(w => w[..4]).ToList();
        Assert.AreEqual(inputs.Count, inputs.Distinct().Count());
        Assert.AreEqual(sampler.WindowsPerEpoch * 4, inputs.Count);
    }

    [TestMethod]
    public void TheSameSeedGivesTheSameSamplesAndAnotherSeedDoesNot()
    {
        long[] Take(ulong seed) => new GptSampler(_dataset, AllDocuments, 4, seed).NextBatch(6);
        CollectionAssert.AreEqual(Take(1), Take(1));
        CollectionAssert.AreNotEqual(Take(1), Take(2));
    }

    [TestMethod]
    public void SkippingWindowsLeavesTheSamplerWhereReadingThemWould()
    {
        // Data-parallel ranks skip the windows the others read; across an epoch's end too.
        var reading = new GptSampler(_dataset, AllDocuments, 4, seed: 5);
        var skipping = new GptSampler(_dataset, AllDocuments, 4, seed: 5);
        var skip = reading.WindowsPerEpoch + 3;
        for (var i = 0; i < skip; i++)
        {
            reading.Next();
        }

        skipping.Skip(skip);
        Assert.AreEqual(reading.Cursor, skipping.Cursor);
        CollectionAssert.AreEqual(reading.NextBatch(4), skipping.NextBatch(4));
    }

    [TestMethod]
    public void AResumedSamplerContinuesExactly()
    {
        var straight = new GptSampler(_dataset, AllDocuments, 4, seed: 3);
        var expected = straight.NextBatch(40); // crosses into the next epoch

        var first = new GptSampler(_dataset, AllDocuments, 4, seed: 3);
        var part = first.NextBatch(13);
        var resumed = new GptSampler(_dataset, AllDocuments, 4, seed: 3, cursor: first.Cursor);
        CollectionAssert.AreEqual(expected, part.Concat(resumed.NextBatch(27)).ToArray());
        Assert.AreEqual(straight.Cursor, resumed.Cursor);
    }

    [TestMethod]
    public void BlendingFollowsTheWeightsInEveryPrefix()
    {
        // Two "datasets": the even and the odd documents; a 3 : 1 mix.
        var even = new GptSampler(_dataset, AllDocuments.Where(d => d % 2 == 0).ToArray(), 4, seed: 1);
        var odd = new GptSampler(_dataset, AllDocuments.Where(d => d % 2 == 1).ToArray(), 4, seed: 1);
        var blend = new BlendedSampler([even, odd], [3, 1]);

        for (var i = 1; i <= 100; i++)
        {
            var window = blend.Next();
            Assert.IsTrue(Math.Abs(blend.Drawn[0] - 0.75 * i) <= 1, $"after {i} samples: {blend.Drawn[0]} from the first dataset");
            Assert.AreEqual(blend.Drawn[0] + blend.Drawn[1], i);
            Assert.AreEqual(5, window.Length);
        }

        Assert.AreEqual(75, blend.Drawn[0]);
        Assert.ThrowsExactly<ArgumentException>(() => new BlendedSampler([even], [1, 2]));
    }

    [TestMethod]
    public void SplitIsByDocumentWithTheRequestedSizes()
    {
        var split = DocumentSplit.Create(200, seed: 5);
        Assert.AreEqual(180, split.Train.Length);
        Assert.AreEqual(10, split.Valid.Length);
        Assert.AreEqual(10, split.Test.Length);
        CollectionAssert.AreEquivalent(Enumerable.Range(0, 200).ToArray(), split.Train.Concat(split.Valid).Concat(split.Test).ToArray());
        CollectionAssert.AreEqual(split.Test, DocumentSplit.Create(200, seed: 5).Test);
        Assert.AreEqual((0.8, 0.1), DocumentSplit.Parse("8,1,1"));
        Assert.ThrowsExactly<FormatException>(() => DocumentSplit.Parse("90,5"));
    }
}
