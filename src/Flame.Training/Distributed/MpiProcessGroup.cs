using Flame.Native.Mpi;
using Flame.Runtime;

namespace Flame.Training.Distributed;

/// <summary>
/// The ranks of an MPI job (mpirun, or SLURM's srun with PMIx) as the run's process group, over
/// Open MPI (<see cref="MpiCommunicator"/>). The node-local rank and size come from the launcher's
/// environment: Open MPI's OMPI_COMM_WORLD_LOCAL_*, else SLURM's SLURM_LOCALID / SLURM_NTASKS_PER_NODE.
/// </summary>
public sealed class MpiProcessGroup : IProcessGroup
{
    private readonly MpiCommunicator _world;

    private MpiProcessGroup(MpiCommunicator communicator)
    {
        _world = communicator;
        LocalRank = Variable("OMPI_COMM_WORLD_LOCAL_RANK") ?? Variable("SLURM_LOCALID") ?? 0;
        LocalSize = Variable("OMPI_COMM_WORLD_LOCAL_SIZE") ?? Variable("SLURM_NTASKS_PER_NODE") ?? 1;
    }

    /// <summary>Joins the job this process was launched in (a job of one when it was started alone).</summary>
    public static MpiProcessGroup Join(TimeSpan timeout) => new(MpiCommunicator.World(timeout));

    public int Rank => _world.Rank;

    public int Size => _world.Size;

    public int LocalRank { get; }

    private int LocalSize { get; }

    // .NET counts the cores this process may run on: mpirun binds each of up to two ranks to a core
    // of its own, and an unbound rank shares the node's cores with the others on it.
    public int DefaultThreads => Math.Max(1, Environment.ProcessorCount / (Environment.ProcessorCount > LocalSize ? LocalSize : 1));

    public long BytesSent => _world.BytesSent;

    public TimeSpan TimeInCollectives => _world.TimeInCollectives;

    // GPU LOCAL_RANK among those visible (SLURM's --gpus-per-task leaves one visible to each rank: GPU 0).
    public ExecutionDevice DeviceFor(ExecutionDevice requested)
    {
        if (!requested.IsCuda || Size == 1)
        {
            return requested;
        }

        var visible = Environment.GetEnvironmentVariable("CUDA_VISIBLE_DEVICES")?.Split(',', StringSplitOptions.RemoveEmptyEntries).Length;
        return ExecutionDevice.Cuda(visible is > 0 and var count ? LocalRank % count : LocalRank);
    }

    public void SumInRankOrder(Span<float> values, string what) => _world.SumInRankOrder(values, what);

    public T[] Gather<T>(ReadOnlySpan<T> mine, string what) where T : unmanaged => _world.AllGather(mine, what);

    public void AllToAll<T>(ReadOnlySpan<T> send, int[] counts, int[] offsets, Span<T> receive, int[] receiveCounts, int[] receiveOffsets, string what) where T : unmanaged =>
        _world.AllToAll(send, counts, offsets, receive, receiveCounts, receiveOffsets, what);

    public void Barrier(string what) => _world.Barrier(what);

    public IProcessGroup Split(int color, string what) => new MpiProcessGroup(_world.Split(color, _world.Rank, what));

    /// <summary>Ends every rank now: after an error on this one, the others would only wait for it.</summary>
    public void Abort(int code) => _world.Abort(code);

    public void Dispose() => _world.Dispose();

    private static int? Variable(string name) => int.TryParse(Environment.GetEnvironmentVariable(name), out var value) ? value : null;
}
