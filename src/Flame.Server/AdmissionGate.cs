namespace Flame.Server;

/// <summary>Runs at most N requests at once and queues at most M more; beyond that a request gets 503 at once.</summary>
public sealed class AdmissionGate(int concurrent, int queued)
{
    private readonly SemaphoreSlim _running = new(concurrent, concurrent);
    private int _waiting;

    public async Task<T> Run<T>(Func<T> work, CancellationToken cancellation)
    {
        if (Interlocked.Increment(ref _waiting) > concurrent + queued)
        {
            Interlocked.Decrement(ref _waiting);
            throw new RequestException("the server is busy: too many requests queued; retry later", 503);
        }

        try
        {
            await _running.WaitAsync(cancellation);
            try
            {
                return await Task.Run(work, cancellation);
            }
            finally
            {
                _running.Release();
            }
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
        }
    }
}
