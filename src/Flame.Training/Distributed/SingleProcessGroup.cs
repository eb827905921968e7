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

    public void SumInRankOrder(Span<float> values, string what)
    {
    }

    public double[] Gather(ReadOnlySpan<double> mine, string what) => mine.ToArray();

    public void Barrier(string what)
    {
    }

    public void Dispose()
    {
    }
}
