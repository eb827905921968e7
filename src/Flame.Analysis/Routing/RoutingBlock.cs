namespace Flame.Analysis.Routing;

/// <summary>An owned block of trace rows (token ids, top-k expert indices best first, their scores), as a trace reader yields them.</summary>
public sealed record RoutingBlock(int[] TokenIds, int[] ExpertIndices, float[] Scores, int TopK)
{
    public RoutingChunk AsChunk() => new(TokenIds, ExpertIndices, TopK);
}
