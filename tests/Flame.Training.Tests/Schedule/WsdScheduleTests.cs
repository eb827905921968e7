using Flame.Training.Schedule;

namespace Flame.Training.Tests.Schedule;

[TestClass]
public sealed class WsdScheduleTests
{
    // flame-moe-38m trains 2121 steps: 21 warmup steps, decay over the last 212.
    private readonly WsdSchedule _schedule = new(2121);

    [TestMethod]
    public void WarmsUpLinearlyFromZero()
    {
        Assert.AreEqual(21, _schedule.WarmupSteps);
        Assert.AreEqual(3e-4 / 21, _schedule.LearningRate(1), 1e-15);
        Assert.AreEqual(3e-4 * 10 / 21, _schedule.LearningRate(10), 1e-15);
        Assert.AreEqual(3e-4, _schedule.LearningRate(21), 1e-15);
    }

    [TestMethod]
    public void HoldsTheMaximumThroughTheStablePhase()
    {
        Assert.AreEqual(3e-4, _schedule.LearningRate(22), 0);
        Assert.AreEqual(3e-4, _schedule.LearningRate(_schedule.DecayStart), 0);
    }

    [TestMethod]
    public void DecaysWithTheExponentialStyleFormulaToTheMinimum()
    {
        Assert.AreEqual(212, _schedule.DecaySteps);
        var halfway = _schedule.DecayStart + 106; // r = 0.5
        var expected = 3e-5 + (2 * Math.Pow(0.5, 0.5) - 1) * (3e-4 - 3e-5);
        Assert.AreEqual(expected, _schedule.LearningRate(halfway), 1e-15);
        Assert.AreEqual(3e-5, _schedule.LearningRate(2121), 1e-15);
        for (var step = _schedule.DecayStart + 1; step <= 2121; step++)
        {
            Assert.IsTrue(_schedule.LearningRate(step) < _schedule.LearningRate(step - 1), $"not decreasing at step {step}");
        }
    }

    [TestMethod]
    public void InvalidSettingsAreReportedTogether()
    {
        var error = Assert.ThrowsExactly<ArgumentException>(() => new WsdSchedule(0, maxLearningRate: -1));
        StringAssert.Contains(error.Message, "total steps");
        StringAssert.Contains(error.Message, "maximum learning rate");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => _schedule.LearningRate(0));
    }
}
