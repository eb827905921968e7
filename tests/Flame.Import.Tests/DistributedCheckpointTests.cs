using Flame.Import.Torch;

namespace Flame.Import.Tests;

[TestClass]
public sealed class DistributedCheckpointTests
{
    private string _scratch = "";

    [TestInitialize]
    public void Create() => _scratch = Directory.CreateTempSubdirectory("flame-dcp-").FullName;

    [TestCleanup]
    public void Remove() => Directory.Delete(_scratch, recursive: true);

    [TestMethod]
    public void MetadataListsEveryTensorWithItsChunksAndTheByteItemsApart()
    {
        using var checkpoint = DistributedCheckpoint.Open(Path.Combine(MegatronFixture.Release, "iter_0000010"));
        var experts = checkpoint.Get("decoder.layers.1.mlp.experts.experts.linear_fc1.weight");
        Assert.AreEqual(TorchDType.BFloat16, experts.DType);
        CollectionAssert.AreEqual(new long[] { 8, 32, 32 }, experts.Size);
        Assert.AreEqual(16, experts.Chunks.Count, "8 experts × (gate, value) halves");
        CollectionAssert.AreEquivalent(new[] { "__0_0.distcp", "__1_0.distcp" }, experts.Chunks.Select(c => c.File).Distinct().ToArray(), "experts split over 2 EP ranks");
        Assert.IsTrue(checkpoint.ByteKeys.Any(k => k.Contains("_extra_state", StringComparison.Ordinal)));
        Assert.IsFalse(checkpoint.Tensors.Keys.Any(k => k.Contains("_extra_state", StringComparison.Ordinal)));
    }

    [TestMethod]
    public void ChunksJoinIntoTheWholeTensor()
    {
        using var checkpoint = DistributedCheckpoint.Open(Path.Combine(MegatronFixture.Release, "iter_0000010"));
        var whole = checkpoint.ReadFloats("decoder.layers.1.mlp.experts.experts.linear_fc1.weight");
        Assert.AreEqual(8 * 32 * 32, whole.Length);
        // One expert read alone (the rows of its first axis) is the same block of the whole.
        var expert5 = checkpoint.ReadFloats("decoder.layers.1.mlp.experts.experts.linear_fc1.weight", leading: 5);
        CollectionAssert.AreEqual(whole.AsSpan(5 * 32 * 32, 32 * 32).ToArray(), expert5);
        Assert.IsTrue(whole.All(v => BitConverter.SingleToInt32Bits(v) % 65536 == 0), "bf16 values are float32 with a zero lower half");
        Assert.IsTrue(whole.Distinct().Count() > 1000);
    }

    [TestMethod]
    public void ATruncatedDataFileIsNamedWithTheKeyItHolds()
    {
        var folder = MegatronFixture.CopyOf(Path.Combine(MegatronFixture.Release, "iter_0000010"), _scratch);
        var shard = Path.Combine(folder, "__1_0.distcp");
        using (var stream = File.OpenWrite(shard))
        {
            stream.SetLength(stream.Length - 100);
        }

        using var checkpoint = DistributedCheckpoint.Open(folder);
        var error = Assert.ThrowsExactly<InvalidDataException>(() => checkpoint.ReadFloats("decoder.layers.2.mlp.experts.experts.linear_fc2.weight"));
        StringAssert.Contains(error.Message, shard);
        StringAssert.Contains(error.Message, "truncated");
        StringAssert.Contains(error.Message, "decoder.layers.2.mlp.experts.experts.linear_fc2.weight");
    }

    [TestMethod]
    public void AMissingShardIsNamed()
    {
        var folder = MegatronFixture.CopyOf(Path.Combine(MegatronFixture.Release, "iter_0000010"), _scratch);
        File.Delete(Path.Combine(folder, "__1_0.distcp"));
        using var checkpoint = DistributedCheckpoint.Open(folder);
        var error = Assert.ThrowsExactly<InvalidDataException>(() => checkpoint.ReadFloats("decoder.layers.1.mlp.experts.experts.linear_fc1.weight"));
        StringAssert.Contains(error.Message, Path.Combine(folder, "__1_0.distcp") + " is missing");
        StringAssert.Contains(error.Message, "decoder.layers.1.mlp.experts.experts.linear_fc1.weight");
    }

    [TestMethod]
    public void DamagedMetadataIsNamed()
    {
        var folder = MegatronFixture.CopyOf(Path.Combine(MegatronFixture.Release, "iter_0000010"), _scratch);
        var metadata = Path.Combine(folder, ".metadata");
        File.WriteAllBytes(metadata, File.ReadAllBytes(metadata)[..500]);
        var error = Assert.ThrowsExactly<InvalidDataException>(() => DistributedCheckpoint.Open(folder));
        StringAssert.Contains(error.Message, metadata);
    }
}
