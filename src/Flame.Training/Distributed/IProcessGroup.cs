using Flame.Runtime;

namespace Flame.Training.Distributed;

/// <summary>
/// The processes (ranks) that train one run together, and the collectives the loop needs from
/// them. Every rank calls every collective in the same order; each returns on every rank, or
/// throws on every rank that waited past the timeout.
/// </summary>
public interface IProcessGroup : IDisposable
{
    int Rank { get; }

    int Size { get; }

    /// <summary>This rank's index among the ranks on its node (which GPU it takes).</summary>
    int LocalRank { get; }

    /// <summary>ORT's intra-op threads when the run leaves them at 0: every core for one process, this rank's share of the node's cores for several.</summary>
    int DefaultThreads { get; }

    /// <summary>The device this rank trains on when the run asks for <paramref name="requested"/>: with CUDA and several ranks on a node, each takes its own GPU.</summary>
    ExecutionDevice DeviceFor(ExecutionDevice requested);

    /// <summary>Rank 0 writes the run's files, logs and checkpoints.</summary>
    bool IsLeader => Rank == 0;

    /// <summary>Bytes this rank has sent to the others so far.</summary>
    long BytesSent { get; }

    /// <summary>Time this rank has spent in collectives so far (moving data and waiting for the others).</summary>
    TimeSpan TimeInCollectives { get; }

    /// <summary>Every rank's <paramref name="values"/> summed element-wise in rank order, into every rank's span.</summary>
    void SumInRankOrder(Span<float> values, string what);

    /// <summary>Every rank's <paramref name="mine"/> (the same length everywhere), concatenated in rank order.</summary>
    T[] Gather<T>(ReadOnlySpan<T> mine, string what) where T : unmanaged;

    /// <summary>
    /// Each rank sends counts[r] elements from offsets[r] of <paramref name="send"/> to rank r, and
    /// receives rank r's at receiveOffsets[r] of <paramref name="receive"/> (MPI_Alltoallv).
    /// </summary>
    void AllToAll<T>(ReadOnlySpan<T> send, int[] counts, int[] offsets, Span<T> receive, int[] receiveCounts, int[] receiveOffsets, string what) where T : unmanaged;

    /// <summary>Returns once every rank has reached it.</summary>
    void Barrier(string what);

    /// <summary>The ranks that give the same <paramref name="color"/>, in this group's rank order (every rank calls it).</summary>
    IProcessGroup Split(int color, string what);
}
