namespace Flame.Analysis.Routing;

/// <summary>
/// A block of consecutive token rows of one MoE layer's routing trace: for each token, its id
/// and the indices of its top-k experts sorted by descending score (the released FLAME-MoE
/// layout). Row r of every array is the same token. Analyses consume traces chunk by chunk,
/// so memory stays bounded whatever the trace's length.
/// </summary>
public readonly ref struct RoutingChunk
{
    public RoutingChunk(ReadOnlySpan<int> tokenIds, ReadOnlySpan<int> expertIndices, int topK)
    {
        if (topK <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(topK), topK, "top-k must be positive");
        }

        if (expertIndices.Length != tokenIds.Length * topK)
        {
            throw new ArgumentException(
                $"a chunk of {tokenIds.Length} tokens with top-{topK} needs {tokenIds.Length * topK} expert indices; got {expertIndices.Length}");
        }

        TokenIds = tokenIds;
        ExpertIndices = expertIndices;
        TopK = topK;
    }

    /// <summary>Token id of each row.</summary>
    public ReadOnlySpan<int> TokenIds { get; }

    /// <summary>Row-major [tokens, k]: the experts each token was routed to, best first.</summary>
    public ReadOnlySpan<int> ExpertIndices { get; }

    public int TopK { get; }

    public int TokenCount => TokenIds.Length;

    /// <summary>The top-k experts of row <paramref name="row"/>, best first.</summary>
    public ReadOnlySpan<int> ExpertsOf(int row) => ExpertIndices.Slice(row * TopK, TopK);
}
