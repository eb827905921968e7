using System.Text.Json;
using Flame.Import.Megatron;
using Flame.ModelGraphs.Config;
using Flame.ModelGraphs.Model;
using Flame.Runtime;
using Flame.Training.Checkpoints;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;

namespace Flame.Import.Tests;

[TestClass]
public sealed class MegatronImporterTests
{
    private string _scratch = "";

    [TestInitialize]
    public void Create() => _scratch = Directory.CreateTempSubdirectory("flame-import-").FullName;

    [TestCleanup]
    public void Remove() => Directory.Delete(_scratch, recursive: true);

    private ImportResult Import(string source, bool all = true, bool overwrite = false, string run = "run") =>
        MegatronImporter.Import(MegatronRelease.Checkpoints(source, all), Path.Combine(_scratch, run), tokenizer: null, overwrite, _ => { });

    [TestMethod]
    public void TheImportedModelsLogitsEqualAForwardPassOverMegatronsOwnLayout()
    {
        var result = Import(MegatronFixture.Release);
        CollectionAssert.AreEqual(new long[] { 10, 20 }, result.Iterations.ToArray());
        foreach (var step in result.Iterations)
        {
            AssertLogits(result.Run, step, CheckpointStore.NameOf(step));
        }
    }

    [TestMethod]
    public void LayersSavedStackedAlongAPrependedAxisImportAsWell()
    {
        var result = Import(MegatronFixture.Stacked);
        Assert.AreEqual(0, result.Model.Config.DenseLayers);
        Assert.AreEqual(2, result.Model.Config.Layers);
        AssertLogits(result.Run, 7, "stacked/iter_0000007");
    }

    // ORT's logits of the imported checkpoint against the generator's float64 forward pass over Megatron's layout.
    private static void AssertLogits(string run, long step, string expectedKey)
    {
        using var expected = JsonDocument.Parse(File.ReadAllText(Path.Combine(MegatronFixture.Folder, "expected_logits.json")));
        var ids = expected.RootElement.GetProperty("ids").EnumerateArray().Select(e => e.GetInt64()).ToArray();
        var model = CheckpointForward.Build(new CheckpointStore(run).Load(step));
        using var session = new ModelSession(model.ToByteArray());
        using var input = OrtValue.FromArray(ids, 1, ids.Length);
        using var outputs = session.Run(new Dictionary<string, OrtValue> { [FlameMoeModel.InputIds] = input });
        var logits = outputs[FlameMoeModel.Logits].ToArray<float>();
        var want = expected.RootElement.GetProperty("logits").GetProperty(expectedKey).EnumerateArray()
            .SelectMany(row => row.EnumerateArray().Select(v => v.GetDouble())).ToArray();
        Assert.AreEqual(want.Length, logits.Length);
        var scale = want.Max(Math.Abs);
        var worst = logits.Select((v, i) => Math.Abs(v - want[i]) / scale).Max();
        Assert.IsTrue(worst < 1e-5, $"{expectedKey}: max relative error of the logits {worst:E2}");
    }

    [TestMethod]
    public void TheConfigIsReadOffTheTensorsAndTheArgs()
    {
        var config = Import(MegatronFixture.Release).Model.Config;
        Assert.AreEqual(3, config.Layers);
        Assert.AreEqual(32, config.Hidden);
        Assert.AreEqual(4, config.Heads);
        Assert.AreEqual(1, config.DenseLayers);
        Assert.AreEqual(48, config.DenseFfn);
        Assert.AreEqual(8, config.Experts);
        Assert.AreEqual(2, config.TopK);
        Assert.AreEqual(16, config.ExpertFfn);
        Assert.AreEqual(32, config.SharedFfn);
        Assert.AreEqual(384, config.PaddedVocab);
        Assert.AreEqual(1e-6, config.NormEpsilon);
        Assert.AreEqual(16, config.MaxSequenceLength);
    }

    [TestMethod]
    public void EveryCheckpointOfTheReleaseIsAMilestoneOfTheRunAndWithoutAllOnlyTheLatest()
    {
        var all = Import(MegatronFixture.Release);
        var store = new CheckpointStore(all.Run);
        CollectionAssert.AreEqual(new long[] { 10, 20 }, store.Steps().ToArray());
        Assert.IsTrue(store.Steps().All(s => store.Load(s).State.Milestone));
        Assert.AreEqual(20L * 8 * 16, store.Load(20).State.TokensSeen, "iteration × global batch × sequence length");
        Assert.IsTrue(File.Exists(Path.Combine(all.Run, MegatronImporter.ProvenanceFile)));
        Assert.AreEqual(20, store.LatestStep());

        var latest = Import(MegatronFixture.Release, all: false, run: "latest");
        CollectionAssert.AreEqual(new long[] { 20 }, new CheckpointStore(latest.Run).Steps().ToArray());
    }

    [TestMethod]
    public void AnExistingRunIsReplacedOnlyWithForce()
    {
        Import(MegatronFixture.Release, all: false);
        var error = Assert.ThrowsExactly<IOException>(() => Import(MegatronFixture.Release));
        StringAssert.Contains(error.Message, "--force");
        Assert.AreEqual(1, new CheckpointStore(Path.Combine(_scratch, "run")).Steps().Count, "the refused import left the run as it was");
        Import(MegatronFixture.Release, overwrite: true);
        Assert.AreEqual(2, new CheckpointStore(Path.Combine(_scratch, "run")).Steps().Count);
    }

    [TestMethod]
    public void AnUnsupportedBackendVersionIsNamedWithItsFileAndKey()
    {
        var folder = MegatronFixture.CopyOf(Path.Combine(MegatronFixture.Release, "iter_0000010"), _scratch);
        var config = Path.Combine(folder, MegatronCheckpoint.ConfigFile);
        File.WriteAllText(config, File.ReadAllText(config).Replace("\"sharded_backend_version\": 1", "\"sharded_backend_version\": 2", StringComparison.Ordinal));
        var error = Assert.ThrowsExactly<InvalidDataException>(() => Import(folder));
        StringAssert.Contains(error.Message, config);
        StringAssert.Contains(error.Message, "sharded_backend_version");
        Assert.IsFalse(Directory.Exists(Path.Combine(_scratch, "run")), "a failed import leaves no run");
    }

    [TestMethod]
    public void ACheckpointOfAnotherArchitectureIsRefusedByItsArgsOrByTheTensorThatShowsIt()
    {
        var error = Assert.ThrowsExactly<InvalidDataException>(() => Import(MegatronFixture.GroupedQuery));
        StringAssert.Contains(error.Message, "num_query_groups 2");

        // Without common.pt's args the shapes give it away.
        var folder = MegatronFixture.CopyOf(MegatronFixture.GroupedQuery, _scratch);
        File.Delete(Path.Combine(folder, MegatronCheckpoint.CommonFile));
        error = Assert.ThrowsExactly<InvalidDataException>(() => Import(folder));
        StringAssert.Contains(error.Message, "decoder.layers.0.self_attention.linear_qkv.weight is [64, 32], expected [96, 32]");
    }

    [TestMethod]
    public void TensorsWithNoPlaceInOurModelAreNamed()
    {
        var error = Assert.ThrowsExactly<InvalidDataException>(() => Import(MegatronFixture.Biased));
        StringAssert.Contains(error.Message, "add_bias_linear = True");

        var folder = MegatronFixture.CopyOf(MegatronFixture.Biased, _scratch);
        File.Delete(Path.Combine(folder, MegatronCheckpoint.CommonFile));
        error = Assert.ThrowsExactly<InvalidDataException>(() => Import(folder));
        StringAssert.Contains(error.Message, "decoder.layers.0.mlp.linear_fc2.bias");
        StringAssert.Contains(error.Message, "have no place in FLAME-MoE's model");
    }

    [TestMethod]
    public void AFlameMoePresetIsRecognisedByItsShape()
    {
        var preset = ModelConfigs.Load("flame-moe-38m");
        Assert.AreEqual("flame-moe-38m", MegatronArchitecture.MatchingPreset(preset with { Name = "x", NormEpsilon = 1e-5 }));
        Assert.IsNull(MegatronArchitecture.MatchingPreset(preset with { Name = "x", Experts = 32 }));
    }
}
