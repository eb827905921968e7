using System.Xml.Linq;
using Flame.Analysis.Routing;

namespace Flame.Analysis.Tests.Routing;

[TestClass]
public sealed class RoutingAnalysisRunTests
{
    private const int Experts = 8, TopK = 2, Vocabulary = 20, Tokens = 400;

    // At the final checkpoint token v always goes to experts (v mod 8, v+1 mod 8); at the early
    // one, half of each token's occurrences go to (v+3 mod 8, v+4 mod 8) instead.
    private static InMemoryTraceSet Traces()
    {
        var tokenIds = Enumerable.Range(0, Tokens).Select(i => i * 7 % Vocabulary).ToArray();
        TracedCheckpoint early = new("iter_0000010", 10), final = new("iter_0000100", 100);
        return new InMemoryTraceSet([early, final], [2, 3], Experts, TopK, Vocabulary, tokenIds, (checkpoint, layer) =>
        {
            var indices = new int[Tokens * TopK];
            for (var row = 0; row < Tokens; row++)
            {
                var v = tokenIds[row];
                var shift = checkpoint == early && row / Vocabulary % 2 == 0 ? 3 : 0;
                indices[row * 2] = (v + shift) % Experts;
                indices[row * 2 + 1] = (v + shift + 1) % Experts;
            }

            return (indices, new float[Tokens * TopK]);
        });
    }

    [TestMethod]
    public void KnownRoutingGivesKnownAnalyses()
    {
        var result = RoutingAnalysis.Run(Traces());

        Assert.AreEqual(Tokens, result.TokensPerCheckpoint);
        var early = result.Saturation.Where(s => s.Checkpoint.Step == 10 && s.Layer == 2).ToDictionary(s => s.K, s => s.Value);
        Assert.AreEqual(0.5, early[1], 1e-12, "half the tokens keep their first expert");
        Assert.AreEqual(0.5, early[2], 1e-12, "shift 3 shares no expert of the pair");
        Assert.IsTrue(result.Saturation.Where(s => s.Checkpoint.Step == 100).All(s => s.Value == 1.0), "the final checkpoint saturates against itself");
        Assert.IsFalse(result.Saturation.Any(s => s.K > TopK), "k beyond the traced top-k is not reported");

        // Final: every tracked token is routed to its expert every time; early: half the time.
        Assert.AreEqual(1.0, result.MeanSpecialization(1, 2), 1e-12);
        Assert.AreEqual(0.5, result.MeanSpecialization(0, 2), 1e-12);

        var co = result.CoActivation.Single(c => c.Layer == 2).Matrix;
        Assert.AreEqual(0.5, co[1, 2], 1e-12, "expert 1 pairs with 0 and with 2 equally often");
        Assert.AreEqual(0.0, co[1, 5], 1e-12);
    }

    [TestMethod]
    public void WritesTablesPlotsAndOneReport()
    {
        var folder = Directory.CreateTempSubdirectory("flame-analysis-").FullName;
        try
        {
            var report = RoutingAnalysisWriter.Write(RoutingAnalysis.Run(Traces()), folder, token => $"tok{token}");

            foreach (var name in new[] { "load.csv", "load_summary.csv", "saturation.csv", "specialization.csv", "specialization_summary.csv", "coactivation_layer_02.csv" })
            {
                Assert.IsTrue(File.Exists(Path.Combine(folder, name)), name);
            }

            Assert.AreEqual(1 + 2 * 2 * Experts, File.ReadAllLines(Path.Combine(folder, "load.csv")).Length);
            StringAssert.Contains(File.ReadAllText(Path.Combine(folder, "specialization.csv")), "tok0");
            foreach (var svg in Directory.GetFiles(folder, "*.svg"))
            {
                XDocument.Parse(File.ReadAllText(svg));
            }

            var html = File.ReadAllText(report);
            StringAssert.Contains(html, "Router saturation");
            StringAssert.Contains(html, "&quot;tok");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
