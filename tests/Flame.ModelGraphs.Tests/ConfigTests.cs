using Flame.ModelGraphs.Config;

namespace Flame.ModelGraphs.Tests;

[TestClass]
public sealed class ConfigTests
{
    // flame-moe.md: total / active parameters of the seven sizes.
    [TestMethod]
    [DataRow("flame-moe-38m", 100.7e6, 38.0e6)]
    [DataRow("flame-moe-98m", 350.9e6, 100.0e6)]
    [DataRow("flame-moe-115m", 461.2e6, 116.2e6)]
    [DataRow("flame-moe-290m", 1300e6, 296.5e6)]
    [DataRow("flame-moe-419m", 2182e6, 425.9e6)]
    [DataRow("flame-moe-721m", 3840e6, 734.9e6)]
    [DataRow("flame-moe-1.7b", 10284e6, 1754e6)]
    public void ParameterCountsMatchThePublishedTableWithinOnePercent(string preset, double total, double active)
    {
        var count = ParameterCount.Of(ModelConfigs.Load(preset));
        Assert.AreEqual(total, count.Total, total * 0.01, "total");
        Assert.AreEqual(active, count.Active, active * 0.01, "active");
    }

    [TestMethod]
    [DataRow("dense-411m", 411e6)]
    [DataRow("dense-1.4b", 1.4e9)]
    public void DenseBaselinesHaveTheirNominalSize(string preset, double size)
    {
        var count = ParameterCount.Of(ModelConfigs.Load(preset));
        // The names round: dense-1.4b counts 1.44B with its padded embeddings.
        Assert.AreEqual(size, count.Total, size * 0.05);
        Assert.AreEqual(count.Total, count.Active);
    }

    [TestMethod]
    public void VocabularyIsPaddedToAMultipleOf128()
    {
        Assert.AreEqual(50_304, ModelConfigs.Load("flame-moe-38m").PaddedVocab);
    }

    [TestMethod]
    public void EveryProblemIsReportedWithItsField()
    {
        var error = Assert.ThrowsExactly<ArgumentException>(() => ModelConfigs.Load("tiny-moe", ["heads=5", "top_k=9"]));
        StringAssert.Contains(error.Message, "heads (5) must divide hidden (64)");
        StringAssert.Contains(error.Message, "top_k (9) cannot exceed experts (8)");
    }

    [TestMethod]
    public void UnknownPresetFieldOrOverrideIsNamed()
    {
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => ModelConfigs.Load("flame-moe-9b")).Message, "flame-moe-38m");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => ModelConfigs.Load("tiny-moe", ["expert=3"])).Message, "expert=3");
        var path = Path.Combine(Path.GetTempPath(), $"config-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, "{\"layers\": 2, \"hiden\": 64}");
        try
        {
            var error = Assert.ThrowsExactly<ArgumentException>(() => ModelConfigs.Load(path));
            StringAssert.Contains(error.Message, "unknown field 'hiden'");
            StringAssert.Contains(error.Message, path);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void OverridesUseTheJsonFieldNames()
    {
        var config = ModelConfigs.Load("tiny-moe", ["top_k=1", "capacity_factor=null", "name=mine"]);
        Assert.AreEqual(1, config.TopK);
        Assert.AreEqual("mine", config.Name);
    }

    [TestMethod]
    public void AllPresetsLoad()
    {
        Assert.IsGreaterThanOrEqualTo(11, ModelConfigs.Presets.Count);
        foreach (var preset in ModelConfigs.Presets)
        {
            Assert.AreEqual(preset, ModelConfigs.Load(preset).Name);
        }
    }

    [TestMethod]
    public void ModelFlopsCountEveryMatMulATokenPassesThrough()
    {
        // tiny-moe: 3 layers (1 dense), hidden 64, vocab padded to 512, dense FFN 256, 8 experts of FFN 64, top-2, shared FFN 128.
        var c = ModelConfigs.Load("tiny-moe");
        double attention = 3 * 4 * 64 * 64, dense = 3 * 64 * 256, routers = 2 * 64 * 8, experts = 2 * 2 * 3 * 64 * 64, shared = 2 * 3 * 64 * 128, head = 512 * 64;
        var expected = 6 * (attention + dense + routers + experts + shared + head) + 12.0 * 3 * 64 * 100;
        Assert.AreEqual(expected, ModelFlops.TrainingPerToken(c, 100), 1e-6);
        Assert.AreEqual(expected / 3, ModelFlops.ForwardPerToken(c, 100), 1e-6);
    }
}
