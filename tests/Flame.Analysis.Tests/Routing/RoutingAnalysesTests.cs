using Flame.Analysis.Routing;

namespace Flame.Analysis.Tests.Routing;

/// <summary>Every analysis on hand-made traces whose answers are worked out in the comments.</summary>
[TestClass]
public sealed class RoutingAnalysesTests
{
    // Four tokens, E = 4, top-2 (best first): slots per expert e0 = 4, e1 = 2, e2 = 1, e3 = 1 of 8.
    private static readonly int[] Tokens = [10, 11, 10, 12];
    private static readonly int[] Experts = [0, 1, 0, 2, 0, 1, 3, 0];

    private static RoutingChunk Chunk() => new(Tokens, Experts, topK: 2);

    [TestMethod]
    public void LoadFractionsEntropyAndImbalance()
    {
        var load = new ExpertLoad(4);
        load.Accept(Chunk());

        CollectionAssert.AreEqual(new[] { 0.5, 0.25, 0.125, 0.125 }, load.Fractions());
        Assert.AreEqual(0.5 / 0.25, load.MaxOverMean(), 1e-12);
        var expected = -(0.5 * Math.Log(0.5) + 0.25 * Math.Log(0.25) + 2 * 0.125 * Math.Log(0.125));
        Assert.AreEqual(expected, load.Entropy(), 1e-12);
    }

    [TestMethod]
    public void BalancedLoadHasEntropyLogE()
    {
        var load = new ExpertLoad(4);
        load.Accept(new RoutingChunk([1, 2], [0, 1, 2, 3], 2));
        Assert.AreEqual(Math.Log(4), load.Entropy(), 1e-12);
        Assert.AreEqual(1.0, load.MaxOverMean(), 1e-12);
    }

    [TestMethod]
    public void CoActivationIsConditionalOnTheRowExpert()
    {
        var co = new CoActivation(4);
        co.Accept(Chunk());
        var c = co.Matrix();

        Assert.AreEqual(2.0 / 4, c[0, 1], 1e-12); // e0 in 4 tokens, with e1 in 2
        Assert.AreEqual(2.0 / 2, c[1, 0], 1e-12); // e1 always comes with e0
        Assert.AreEqual(1.0 / 4, c[0, 2], 1e-12);
        Assert.AreEqual(1.0, c[3, 0], 1e-12);
        Assert.AreEqual(0.0, c[1, 2], 1e-12);
        for (var i = 0; i < 4; i++)
        {
            Assert.AreEqual(0.0, c[i, i], "the diagonal is 0 by definition");
        }

        // Row maxima: e1, e2, e3 reach 1.0 (ties by index), e0 0.5.
        CollectionAssert.AreEqual(new[] { 1, 2, 3, 0 }, co.StrongestExperts(4));
        Assert.AreEqual(3.0 / 12, co.DensityAbove(0.9), 1e-12);
    }

    [TestMethod]
    public void SpecializationScoresOnlyRankFrequentTokens()
    {
        var spec = new ExpertSpecialization(experts: 4, vocabulary: 16);
        // Token 5 seen 5 times, routed to expert 3 in 4 of them; token 6 seen once, always expert 3.
        int[] tokens = [5, 5, 5, 5, 5, 6];
        int[] experts = [3, 0, 3, 1, 3, 2, 0, 1, 1, 3, 3, 0];
        spec.Accept(new RoutingChunk(tokens, experts, 2));

        Assert.AreEqual(4.0 / 5, spec.Score(3, 5), 1e-12);
        Assert.AreEqual(1.0, spec.Score(3, 6), 1e-12);
        var top = spec.TopTokens(expert: 3, count: 10);
        Assert.AreEqual(1, top.Count, "token 6 has fewer than 5 occurrences and must not be ranked");
        Assert.AreEqual(5, top[0].TokenId);
        Assert.AreEqual(5, top[0].Occurrences);
    }

    [TestMethod]
    public void SaturationCountsTheOverlapOfEachPrefix()
    {
        // Top-4 traces of two tokens at an early and the final checkpoint.
        int[] tokens = [7, 8];
        int[] early = [0, 1, 2, 3, 4, 5, 6, 7];
        int[] final = [0, 2, 1, 9, 5, 4, 8, 6];
        var sat = new RouterSaturation([1, 2, 4]);
        sat.Accept(new RoutingChunk(tokens, early, 4), new RoutingChunk(tokens, final, 4));

        // k=1: token 7 agrees (0), token 8 does not (4 vs 5)        -> (1 + 0) / 2
        // k=2: {0,1}∩{0,2} = 1/2;  {4,5}∩{5,4} = 2/2                -> (0.5 + 1) / 2
        // k=4: {0,1,2,3}∩{0,2,1,9} = 3/4; {4,5,6,7}∩{5,4,8,6} = 3/4 -> 0.75
        CollectionAssert.AreEqual(new[] { 0.5, 0.75, 0.75 }, sat.Values());
    }

    [TestMethod]
    public void SaturationRefusesMisalignedTraces()
    {
        var sat = new RouterSaturation([1]);
        var error = Assert.ThrowsExactly<InvalidDataException>(() =>
            sat.Accept(new RoutingChunk([1, 2], [0, 1], 1), new RoutingChunk([1, 3], [0, 1], 1)));
        StringAssert.Contains(error.Message, "row 1");
    }

    [TestMethod]
    public void OutOfRangeExpertNamesTheValue()
    {
        var error = Assert.ThrowsExactly<InvalidDataException>(() => new ExpertLoad(4).Accept(new RoutingChunk([1], [0, 9], 2)));
        StringAssert.Contains(error.Message, "expert index 9");
    }
}
