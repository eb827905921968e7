using System.Text.Json.Nodes;
using Flame.Onnx.SafeTensors;
using Flame.Training.Checkpoints;

namespace Flame.Training.Tests.Checkpoints;

[TestClass]
public sealed class CheckpointStoreTests
{
    private string _run = null!;

    [TestInitialize]
    public void CreateRun() => _run = Directory.CreateTempSubdirectory("flame-run-").FullName;

    [TestCleanup]
    public void DeleteRun() => Directory.Delete(_run, recursive: true);

    private static CheckpointState State(long step, bool milestone = false) => new()
    {
        Step = step,
        TokensSeen = step * 1024,
        Config = JsonNode.Parse("{\"name\":\"tiny-moe\"}")!,
        DataCursor = JsonNode.Parse($"{{\"epoch\":0,\"position\":{step * 8}}}"),
        RandomState = [1, 2, 3, (ulong)step],
        Milestone = milestone,
    };

    private static SafeTensor[] Weights(float value) => [SafeTensor.From("embed.weight", new[] { value, value + 1 }, 2)];

    private static SafeTensor[] Moments(float value) => [SafeTensor.From("embed.weight.m", new[] { value }, 1)];

    [TestMethod]
    public void SavesLoadsAndPointsLatestAtTheNewest()
    {
        var store = new CheckpointStore(_run);
        store.Save(State(10), Weights(1), Moments(0.5f));
        store.Save(State(20), Weights(2), Moments(0.25f));

        Assert.AreEqual(20L, store.LatestStep());
        var checkpoint = store.Load(20);
        Assert.AreEqual(20 * 1024L, checkpoint.State.TokensSeen);
        Assert.AreEqual(160, checkpoint.State.DataCursor!["position"]!.GetValue<int>());
        CollectionAssert.AreEqual(new ulong[] { 1, 2, 3, 20 }, checkpoint.State.RandomState);
        using var weights = checkpoint.OpenWeights();
        CollectionAssert.AreEqual(new[] { 2f, 3f }, weights.Read<float>("embed.weight"));
        using var optimizer = checkpoint.OpenOptimizer();
        CollectionAssert.AreEqual(new[] { 0.25f }, optimizer.Read<float>("embed.weight.m"));
    }

    [TestMethod]
    public void KeepsTheLastNAndEveryMilestone()
    {
        var store = new CheckpointStore(_run, keepLast: 2);
        store.Save(State(10, milestone: true), Weights(1), Moments(1));
        store.Save(State(20), Weights(2), Moments(2));
        store.Save(State(30), Weights(3), Moments(3));
        store.Save(State(40), Weights(4), Moments(4));

        CollectionAssert.AreEqual(new long[] { 10, 30, 40 }, store.Steps().ToArray());
    }

    [TestMethod]
    public void ATruncatedTensorFileIsNamedAndNotUsed()
    {
        var store = new CheckpointStore(_run);
        var folder = store.Save(State(10), Weights(1), Moments(1));
        var weights = Path.Combine(folder, CheckpointStore.WeightsFile);
        File.WriteAllBytes(weights, File.ReadAllBytes(weights)[..^3]);

        var error = Assert.ThrowsExactly<InvalidDataException>(() => store.Load(10));
        StringAssert.Contains(error.Message, weights);
        StringAssert.Contains(error.Message, "corrupt or truncated");
    }

    [TestMethod]
    public void AnInterruptedSaveLeavesThePreviousCheckpointAndLatestIntact()
    {
        var store = new CheckpointStore(_run);
        store.Save(State(10), Weights(1), Moments(1));

        // A weight with a bad shape makes the save fail half-way, as a crash would.
        Assert.ThrowsExactly<ArgumentException>(() => store.Save(State(20), [new SafeTensor("bad", "F32", [3], new byte[4])], Moments(2)));

        Assert.AreEqual(10L, store.LatestStep());
        CollectionAssert.AreEqual(new long[] { 10 }, store.Steps().ToArray());
        Assert.AreEqual(10L, store.Load(10).State.Step);
        Assert.IsEmpty(Directory.GetDirectories(store.Folder, ".iter_*"), "no partial folder is left behind");
    }

    [TestMethod]
    public void AMissingStateFileMeansNoCheckpoint()
    {
        var store = new CheckpointStore(_run);
        var folder = store.Save(State(10), Weights(1), Moments(1));
        File.Delete(Path.Combine(folder, CheckpointStore.StateFile));

        Assert.IsEmpty(store.Steps());
        var error = Assert.ThrowsExactly<InvalidDataException>(() => store.Load(10));
        StringAssert.Contains(error.Message, "state.json is missing");
    }
}
