using Flame.Analysis.Scaling;

namespace Flame.Analysis.Tests.Scaling;

[TestClass]
public sealed class ScalingLawFitterTests
{
    private static readonly double[] ActiveSizes = [38.0e6, 100.0e6, 116.2e6, 296.5e6, 425.9e6, 734.9e6, 1754e6];
    private static readonly double[] FlopBudgets = [1e18, 3e18, 6e18, 1e19, 3e19, 1e20, 2.4e20];

    // Runs laid out like FLAME-MoE's sweep: every size at every budget, D = C / (6 N).
    private static List<ScalingObservation> SweepFrom(ScalingLaw law, Func<int, double>? noise = null) =>
        (from n in ActiveSizes
         from c in FlopBudgets
         select (n, d: c / (6 * n))).Select((run, i) =>
            new ScalingObservation(run.n, run.d, law.Predict(run.n, run.d) * (1 + (noise?.Invoke(i) ?? 0)))).ToList();

    [TestMethod]
    public void RecoversThePublishedFitFromItsOwnPredictions()
    {
        var published = ScalingLaw.FlameMoePublished;

        var fit = ScalingLawFitter.Fit(SweepFrom(published));

        Assert.AreEqual(published.E, fit.Law.E, 1e-3 * published.E, "E");
        Assert.AreEqual(published.Alpha, fit.Law.Alpha, 1e-3 * published.Alpha, "alpha");
        Assert.AreEqual(published.Beta, fit.Law.Beta, 1e-3 * published.Beta, "beta");
        Assert.AreEqual(published.A, fit.Law.A, 1e-2 * published.A, "A");
        Assert.AreEqual(published.B, fit.Law.B, 1e-2 * published.B, "B");
        Assert.IsTrue(fit.StartsConverged > fit.StartsTried / 2, $"only {fit.StartsConverged} of {fit.StartsTried} starts converged");
    }

    [TestMethod]
    public void HuberLossShrugsOffOneCorruptedRun()
    {
        var published = ScalingLaw.FlameMoePublished;
        var runs = SweepFrom(published, i => i == 10 ? 0.5 : 0); // one run's loss 50% too high

        var fit = ScalingLawFitter.Fit(runs);

        Assert.AreEqual(published.Alpha, fit.Law.Alpha, 0.02 * published.Alpha);
        Assert.AreEqual(published.Beta, fit.Law.Beta, 0.02 * published.Beta);
        Assert.AreEqual(published.E, fit.Law.E, 0.01 * published.E);
    }

    [TestMethod]
    public void ComputeOptimalPlanBalancesTheTwoTerms()
    {
        var law = ScalingLaw.FlameMoePublished;

        var plan = law.PlanFor(1e20);

        Assert.AreEqual(1e20, 6 * plan.ActiveParameters * plan.Tokens, 1e20 * 1e-9);
        // At the optimum alpha A N^-alpha = beta B D^-beta (first-order condition).
        var parameterTerm = law.Alpha * law.A * Math.Pow(plan.ActiveParameters, -law.Alpha);
        var dataTerm = law.Beta * law.B * Math.Pow(plan.Tokens, -law.Beta);
        Assert.AreEqual(parameterTerm, dataTerm, 1e-9 * parameterTerm);
        // And no other split of the same budget does better.
        foreach (var factor in new[] { 0.5, 0.8, 1.25, 2.0 })
        {
            var n = plan.ActiveParameters * factor;
            Assert.IsTrue(law.Predict(n, 1e20 / (6 * n)) > plan.PredictedLoss);
        }
    }

    [TestMethod]
    public void TooFewRunsIsAClearError()
    {
        var runs = SweepFrom(ScalingLaw.FlameMoePublished).Take(4).ToList();
        var error = Assert.ThrowsExactly<ArgumentException>(() => ScalingLawFitter.Fit(runs));
        StringAssert.Contains(error.Message, "at least 5 runs");
    }

    [TestMethod]
    public void CsvErrorsNameFileRowAndColumn()
    {
        var path = Path.Combine(Path.GetTempPath(), $"scaling-{Guid.NewGuid():N}.csv");
        try
        {
            File.WriteAllText(path, "active_params,tokens,loss\n38e6,4.4e9,3.1\n98e6,abc,2.9\n");
            var error = Assert.ThrowsExactly<InvalidDataException>(() => ScalingObservation.ReadCsv(path));
            StringAssert.Contains(error.Message, path);
            StringAssert.Contains(error.Message, "row 3");
            StringAssert.Contains(error.Message, "tokens");

            File.WriteAllText(path, "params,tokens,loss\n1,2,3\n");
            error = Assert.ThrowsExactly<InvalidDataException>(() => ScalingObservation.ReadCsv(path));
            StringAssert.Contains(error.Message, "active_params");
        }
        finally
        {
            File.Delete(path);
        }
    }
}
