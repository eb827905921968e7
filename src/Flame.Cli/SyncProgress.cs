namespace Flame.Cli;

/// <summary>Reports progress on the calling thread, in order (System.Progress posts to the thread pool, which can reorder or outlive the command).</summary>
public sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
