namespace Flame.Import.Megatron;

/// <summary>
/// The two buffers a checkpoint's tensors are converted through, one tensor at a time: the values
/// read, and the bytes written. One instance serves every map of a checkpoint (weights, then each
/// optimizer state), since a writer takes one tensor's bytes before it asks for the next. Fresh
/// arrays per tensor fragment the large-object heap until memory is a multiple of the largest
/// tensor (measured: docs/benchmarks.md, "Importing Megatron checkpoints").
/// </summary>
public sealed class ConversionBuffers
{
    private float[] _values = [];
    private byte[] _bytes = [];

    /// <summary>Buffers for a tensor of <paramref name="count"/> elements; grown (once, when <paramref name="largest"/> is the largest to come) as needed.</summary>
    public (float[] Values, byte[] Bytes) For(long count, long largest)
    {
        if (_values.Length < count)
        {
            (_values, _bytes) = ([], []);                                               // the smaller pair is garbage before the larger exists
            var size = checked((int)Math.Max(count, largest));
            _values = new float[size];
            _bytes = new byte[checked(size * sizeof(float))];
        }

        return (_values, _bytes);
    }
}
