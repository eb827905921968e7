using System.Diagnostics;

namespace Flame.Native.Mpi;

/// <summary>
/// An MPI communicator (MPI_COMM_WORLD, or a part split from it) through <see cref="OpenMpiLibrary"/>: the collectives distributed training
/// uses, each started non-blocking and waited for with a deadline, so a rank that died or hangs
/// turns into an error on the others instead of a hang (MPI itself has no timeouts). Sums are
/// taken in rank order by this class, not by MPI's reduction (whose order depends on the
/// algorithm Open MPI picks for the message size), so results never depend on timing or size.
/// </summary>
public sealed unsafe class MpiCommunicator : IDisposable
{
    private readonly OpenMpiLibrary _mpi;
    private readonly nint _comm;
    private readonly bool _isWorld;
    private readonly Traffic _traffic;
    private bool _finished;
    private bool _faulted;
    private float[] _received = [];

    private MpiCommunicator(OpenMpiLibrary mpi, nint comm, TimeSpan timeout, bool ownsInit, Traffic traffic)
    {
        _mpi = mpi;
        _traffic = traffic;
        _comm = comm;
        _isWorld = comm == mpi.CommWorld;
        Timeout = timeout;
        OwnsInit = ownsInit;
        int rank, size;
        mpi.Check(mpi.CommRank(comm, &rank), "MPI_Comm_rank");
        mpi.Check(mpi.CommSize(comm, &size), "MPI_Comm_size");
        Rank = rank;
        Size = size;
    }

    /// <summary>Initialises MPI (once per process) and returns the world communicator.</summary>
    public static MpiCommunicator World(TimeSpan timeout)
    {
        var mpi = OpenMpiLibrary.Instance;
        int initialized;
        mpi.Check(mpi.Initialized(&initialized), "MPI_Initialized");
        if (initialized == 0)
        {
            int provided;
            mpi.Check(mpi.Init(null, 0, OpenMpiLibrary.ThreadSerialized, &provided), "MPI_Init_thread");
        }

        return new MpiCommunicator(mpi, mpi.CommWorld, timeout, initialized == 0, new Traffic());
    }

    /// <summary>
    /// The ranks that give the same <paramref name="color"/>, ranked by <paramref name="key"/>
    /// (MPI_Comm_split; every rank of this communicator calls it). MPI has no non-blocking split,
    /// so a barrier with the timeout goes first: a rank that never comes is caught there.
    /// </summary>
    public MpiCommunicator Split(int color, int key, string what)
    {
        Barrier(what);
        nint part;
        _mpi.Check(_mpi.CommSplit(_comm, color, key, &part), "MPI_Comm_split");
        return new MpiCommunicator(_mpi, part, Timeout, ownsInit: false, _traffic);
    }

    public int Rank { get; }

    public int Size { get; }

    /// <summary>How long any one collective waits for the other ranks.</summary>
    public TimeSpan Timeout { get; }

    private bool OwnsInit { get; }

    /// <summary>Bytes this rank sent in collectives so far, over this communicator and those split from the same world (what a network would carry; its own share excluded).</summary>
    public long BytesSent => _traffic.Bytes;

    /// <summary>Time this rank spent in those collectives so far: moving data, and waiting for the slowest rank to arrive.</summary>
    public TimeSpan TimeInCollectives => TimeSpan.FromTicks(_traffic.Ticks);

    /// <summary>What a rank's collectives cost, counted once for a world and every communicator split from it.</summary>
    private sealed class Traffic
    {
        public long Bytes;
        public long Ticks;
    }

    /// <summary>
    /// Every rank's <paramref name="values"/> summed element-wise into every rank's span, in rank
    /// order ((v₀ + v₁) + v₂ ...): a reduce-scatter by all-to-all (rank r sums slice r), then an
    /// all-gather of the sums. Each rank sends 2·(N−1)/N of the buffer, as a ring all-reduce does.
    /// </summary>
    public void SumInRankOrder(Span<float> values, string what)
    {
        if (Size == 1)
        {
            return;
        }

        var counts = new int[Size];
        var offsets = new int[Size];
        for (var r = 0; r < Size; r++)
        {
            offsets[r] = (int)((long)values.Length * r / Size);
            counts[r] = (int)((long)values.Length * (r + 1) / Size) - offsets[r];
        }

        var mine = counts[Rank];
        if (_received.Length < (long)mine * Size)
        {
            _received = new float[(long)mine * Size];   // kept: every step sums buckets of the same sizes
        }

        var received = _received.AsSpan(0, mine * Size);
        var receiveCounts = Enumerable.Repeat(mine, Size).ToArray();
        var receiveOffsets = Enumerable.Range(0, Size).Select(r => r * mine).ToArray();
        AllToAll(values, counts, offsets, received, receiveCounts, receiveOffsets, what);

        var sum = received[..mine];
        for (var r = 1; r < Size; r++)
        {
            var slice = received.Slice(r * mine, mine);
            for (var i = 0; i < mine; i++)
            {
                sum[i] += slice[i];
            }
        }

        sum.CopyTo(values.Slice(offsets[Rank], mine));
        AllGatherInPlace(values, counts, offsets, what);
    }

    /// <summary>Every rank's <paramref name="mine"/> (the same length on every rank), in rank order.</summary>
    public T[] AllGather<T>(ReadOnlySpan<T> mine, string what) where T : unmanaged
    {
        var length = mine.Length;
        var all = new T[(long)length * Size];
        mine.CopyTo(all.AsSpan(Rank * length));
        if (Size > 1)
        {
            AllGatherInPlace<T>(all, [.. Enumerable.Repeat(length, Size)], [.. Enumerable.Range(0, Size).Select(r => r * length)], what);
        }

        return all;
    }

    /// <summary>
    /// MPI_Alltoallv over elements of <typeparamref name="T"/>: counts[r] elements from offsets[r]
    /// of <paramref name="send"/> go to rank r; rank r's arrive at receiveOffsets[r].
    /// </summary>
    public void AllToAll<T>(ReadOnlySpan<T> send, int[] counts, int[] offsets, Span<T> receive, int[] receiveCounts, int[] receiveOffsets, string what) where T : unmanaged
    {
        var size = sizeof(T);
        int[] Bytes(int[] elements) => [.. elements.Select(e => checked(e * size))];
        var (sc, so, rc, ro) = (Bytes(counts), Bytes(offsets), Bytes(receiveCounts), Bytes(receiveOffsets));
        fixed (T* s = send)
        fixed (T* r = receive)
        fixed (int* scp = sc, sop = so, rcp = rc, rop = ro)
        {
            nint request;
            _mpi.Check(_mpi.Ialltoallv(s, scp, sop, _mpi.Byte, r, rcp, rop, _mpi.Byte, _comm, &request), "MPI_Ialltoallv");
            Wait(request, what);
        }

        _traffic.Bytes += sc.Where((_, rank) => rank != Rank).Sum(c => (long)c);
    }

    /// <summary>Returns once every rank has called it (or throws after the timeout).</summary>
    public void Barrier(string what)
    {
        nint request;
        _mpi.Check(_mpi.Ibarrier(_comm, &request), "MPI_Ibarrier");
        Wait(request, what);
    }

    /// <summary>Ends every rank of the job now (MPI_Abort on the world): after a fault, when the others may be blocked.</summary>
    public void Abort(int code)
    {
        _finished = true;
        _ = _mpi.Abort(_mpi.CommWorld, code);
    }

    private void AllGatherInPlace<T>(Span<T> values, int[] counts, int[] offsets, string what) where T : unmanaged
    {
        var size = sizeof(T);
        int[] rc = [.. counts.Select(c => checked(c * size))], ro = [.. offsets.Select(o => checked(o * size))];
        fixed (T* v = values)
        fixed (int* rcp = rc, rop = ro)
        {
            nint request;
            _mpi.Check(_mpi.Iallgatherv((byte*)v + ro[Rank], rc[Rank], _mpi.Byte, v, rcp, rop, _mpi.Byte, _comm, &request), "MPI_Iallgatherv");
            Wait(request, what);
        }

        _traffic.Bytes += (long)rc[Rank] * (Size - 1);
    }

    // Open MPI progresses non-blocking collectives inside MPI_Test: spin (yielding) while the
    // others are likely close, then poll every millisecond so a long wait (a peer validating or
    // saving a checkpoint) leaves the core to whoever needs it.
    private void Wait(nint request, string what)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            Poll(request, what, clock);
        }
        finally
        {
            _traffic.Ticks += clock.Elapsed.Ticks;
        }
    }

    private void Poll(nint request, string what, Stopwatch clock)
    {
        var spin = TimeSpan.FromMilliseconds(200);
        while (true)
        {
            int done;
            _mpi.Check(_mpi.Test(&request, &done, 0), "MPI_Test");
            if (done != 0)
            {
                return;
            }

            var waited = clock.Elapsed;
            if (waited > Timeout)
            {
                _faulted = true;   // the request stays pending: MPI_Finalize would wait for it
                throw new MpiException($"rank {Rank} of {Size} waited {Timeout.TotalSeconds:0} s for the other ranks in {what}: one of them has stopped or died (the launcher's output says which)");
            }

            if (waited < spin)
            {
                Thread.Yield();
            }
            else
            {
                Thread.Sleep(1);
            }
        }
    }

    /// <summary>
    /// A split communicator is freed; the world's MPI_Finalize, when it initialised MPI. Neither
    /// after a timeout: a request still pending would keep them waiting.
    /// </summary>
    public void Dispose()
    {
        if (_finished || _faulted)
        {
            return;
        }

        if (!_isWorld)
        {
            _finished = true;
            var comm = _comm;
            _ = _mpi.CommFree(&comm);
            return;
        }

        if (!OwnsInit)
        {
            return;
        }

        _finished = true;
        int finalized;
        if (_mpi.Finalized(&finalized) == OpenMpiLibrary.Success && finalized == 0)
        {
            _ = _mpi.Finalize();
        }
    }
}
