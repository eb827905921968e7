using Flame.Runtime;
using Flame.Training.Loop;

namespace Flame.Training.Distributed;

/// <summary>
/// Sums the replicated parameters' accumulated gradients over the ranks, in rank order, before
/// the optimizer step (data parallelism). Whole tensors are packed into buckets of about
/// <see cref="BucketElements"/> floats, as PyTorch's DDP does, so a step makes a few large
/// collectives rather than one per parameter (a tensor larger than that is a bucket of its own).
/// A bucket goes through host memory: downloaded and uploaded where the gradients live on a GPU,
/// since MPI is not assumed to be CUDA-aware.
/// </summary>
internal sealed class GradientAllReduce
{
    /// <summary>16 MiB of float32: large enough that per-collective latency does not count.</summary>
    public const long BucketElements = 4 << 20;

    private readonly IProcessGroup _group;
    private readonly List<List<(ParameterHome Home, int Slot, int Count)>> _buckets = [];
    private readonly float[] _bucket;

    /// <param name="tensors">The (home, slot) of every gradient tensor to sum, in the same order on every rank.</param>
    public GradientAllReduce(IProcessGroup group, IEnumerable<(ParameterHome Home, int Slot)> tensors)
    {
        _group = group;
        long filled = 0;
        foreach (var (home, slot) in tensors)
        {
            var count = checked((int)home.Pieces[slot].Shape.Aggregate(1L, (n, d) => n * d));
            if (_buckets.Count == 0 || filled + count > BucketElements)
            {
                _buckets.Add([]);
                filled = 0;
            }

            _buckets[^1].Add((home, slot, count));
            filled += count;
        }

        _bucket = new float[_buckets.Count == 0 ? 0 : _buckets.Max(b => b.Sum(t => (long)t.Count))];
        Elements = _buckets.Sum(b => b.Sum(t => (long)t.Count));
    }

    /// <summary>The floats summed per step.</summary>
    public long Elements { get; }

    /// <summary>Sums each gradient tensor (<c>Gradients.Current</c>) over the ranks, in place.</summary>
    public void Run(long step)
    {
        for (var b = 0; b < _buckets.Count; b++)
        {
            var length = 0;
            foreach (var (home, slot, count) in _buckets[b])
            {
                home.Memory.Download<float>(home.Gradients.Current(slot), _bucket.AsSpan(length, count));
                length += count;
            }

            _group.SumInRankOrder(_bucket.AsSpan(0, length), $"the gradient all-reduce of step {step} (bucket {b + 1} of {_buckets.Count})");
            length = 0;
            foreach (var (home, slot, count) in _buckets[b])
            {
                home.Memory.Upload<float>(_bucket.AsSpan(length, count), home.Gradients.Current(slot));
                length += count;
            }
        }
    }
}
