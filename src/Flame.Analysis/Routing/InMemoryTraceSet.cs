namespace Flame.Analysis.Routing;

/// <summary>Traces held in memory: for tests, and for traces a caller has just computed.</summary>
public sealed class InMemoryTraceSet(
    IReadOnlyList<TracedCheckpoint> checkpoints,
    IReadOnlyList<int> layers,
    int experts,
    int topK,
    int vocabulary,
    int[] tokenIds,
    Func<TracedCheckpoint, int, (int[] Indices, float[] Scores)> trace) : IRoutingTraceSet
{
    public IReadOnlyList<TracedCheckpoint> Checkpoints => checkpoints;

    public IReadOnlyList<int> Layers => layers;

    public int Experts => experts;

    public int TopK => topK;

    public int Vocabulary => vocabulary;

    public IEnumerable<RoutingBlock> Read(TracedCheckpoint checkpoint, int layer)
    {
        var (indices, scores) = trace(checkpoint, layer);
        yield return new RoutingBlock(tokenIds, indices, scores, topK);
    }
}
