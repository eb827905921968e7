namespace Flame.Analysis.Routing;

/// <summary>
/// A generated trace of any length, produced block by block (nothing held in memory), for
/// benchmarks: tokens drawn from a Zipf-like distribution, each token preferring a few
/// experts more strongly at later checkpoints, so every analysis has real work to do.
/// Deterministic for a seed.
/// </summary>
public sealed class SyntheticTraceSet(long tokens, int checkpoints, IReadOnlyList<int> layers, int experts = 64, int topK = 6,
    int vocabulary = 50_304, int blockSize = 65_536, ulong seed = 1234) : IRoutingTraceSet
{
    public IReadOnlyList<TracedCheckpoint> Checkpoints { get; } =
        Enumerable.Range(1, checkpoints).Select(c => new TracedCheckpoint($"iter_{c * 1000:D7}", c * 1000L)).ToList();

    public IReadOnlyList<int> Layers => layers;

    public int Experts => experts;

    public int TopK => topK;

    public int Vocabulary => vocabulary;

    public IEnumerable<RoutingBlock> Read(TracedCheckpoint checkpoint, int layer)
    {
        var sharpness = (double)(Checkpoints.ToList().IndexOf(checkpoint) + 1) / Checkpoints.Count;
        var tokenState = seed;
        var routeState = seed ^ (ulong)(layer * 7919 + checkpoint.Step);
        for (long start = 0; start < tokens; start += blockSize)
        {
            var rows = (int)Math.Min(blockSize, tokens - start);
            var ids = new int[rows];
            var indices = new int[rows * topK];
            var scores = new float[rows * topK];
            Span<bool> used = stackalloc bool[experts];
            for (var r = 0; r < rows; r++)
            {
                // Zipf-like: the id is the square of a uniform draw, stretched over the vocabulary.
                var u = Uniform(ref tokenState);
                var token = (int)(u * u * vocabulary);
                ids[r] = token;
                used.Clear();
                for (var j = 0; j < topK; j++)
                {
                    // Later checkpoints keep more of the token's preferred experts.
                    var expert = Uniform(ref routeState) < sharpness ? (token * 31 + j * 17 + layer) % experts : (int)(Uniform(ref routeState) * experts);
                    while (used[expert])
                    {
                        expert = (expert + 1) % experts;
                    }

                    used[expert] = true;
                    indices[r * topK + j] = expert;
                    scores[r * topK + j] = 1f / (j + 2);
                }
            }

            yield return new RoutingBlock(ids, indices, scores, topK);
        }
    }

    // SplitMix64 → [0, 1).
    private static double Uniform(ref ulong state)
    {
        var z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return ((z ^ (z >> 31)) >> 11) * (1.0 / (1UL << 53));
    }
}
