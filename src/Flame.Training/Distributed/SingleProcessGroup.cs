using Flame.Runtime;

namespace Flame.Training.Distributed;

/// <summary>One process training alone: every collective is the identity.</summary>
public sealed class SingleProcessGroup : IProcessGroup
{
    public static readonly SingleProcessGroup Instance = new();

    public int Rank => 0;

    public int Size => 1;

    public int LocalRank => 0;

    public int DefaultThreads => 0;   // ORT's own default: one thread per physical core

    public long BytesSent => 0;

    public TimeSpan TimeInCollectives => TimeSpan.Zero;

    public ExecutionDevice DeviceFor(ExecutionDevice requested) => requested;

    public void SumInRankOrder(Span<float> values, string what)
    {
    }

    public T[] Gather<T>(ReadOnlySpan<T> mine, string what) where T : unmanaged => mine.ToArray();

    public void AllToAll<T>(ReadOnlySpan<T> send, int[] counts, int[] offsets, Span<T> receive, int[] receiveCounts, int[] receiveOffsets, string what) where T : unmanaged =>
        send.Slice(offsets[0], counts[0]).CopyTo(receive[receiveOffsets[0]..]);

    public void Barrier(string what)
    {
    }

    public IProcessGroup Split(int color, string what) => this;

    public void Dispose()
    {
    }
}
