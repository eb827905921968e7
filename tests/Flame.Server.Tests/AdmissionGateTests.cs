using System.Collections.Concurrent;

namespace Flame.Server.Tests;

/// <summary>The hand-over a long request's turns rely on: a request waiting for the slot gets it before the long one's next turn.</summary>
[TestClass]
public sealed class AdmissionGateTests
{
    [TestMethod]
    public async Task AWaitingRequestRunsBetweenTheTurnsOfALongOne()
    {
        var gate = new AdmissionGate(concurrent: 1, queued: 8);
        var order = new ConcurrentQueue<string>();
        using var firstTurnRunning = new ManualResetEventSlim();
        using var endFirstTurn = new ManualResetEventSlim();
        var large = Task.Run(async () =>
        {
            await gate.Run(() => { order.Enqueue("large, turn 1"); firstTurnRunning.Set(); endFirstTurn.Wait(); return 0; }, CancellationToken.None);
            await gate.Run(() => { order.Enqueue("large, turn 2"); return 0; }, CancellationToken.None);
        });
        firstTurnRunning.Wait();

        // Run queues its waiter before it returns, so the small request is in line before the first turn ends.
        var small = gate.Run(() => { order.Enqueue("small"); return 0; }, CancellationToken.None);
        endFirstTurn.Set();
        await Task.WhenAll(large, small);

        CollectionAssert.AreEqual(new[] { "large, turn 1", "small", "large, turn 2" }, order.ToArray());
    }
}
