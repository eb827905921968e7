namespace Flame.Import.Torch;

/// <summary>Row-major blocks of a tensor: the pieces checkpoints store a tensor in.</summary>
public static class TensorBlocks
{
    /// <summary>Copies <paramref name="block"/> (row-major, of <paramref name="sizes"/>) to <paramref name="offsets"/> in <paramref name="whole"/> (of <paramref name="shape"/>), one run of the last axis at a time.</summary>
    public static void Place(ReadOnlySpan<float> block, long[] offsets, long[] sizes, long[] shape, Span<float> whole)
    {
        var rank = shape.Length;
        if (rank == 0)
        {
            whole[0] = block[0];
            return;
        }

        var run = (int)sizes[rank - 1];
        var index = new long[rank - 1];
        for (var source = 0; source < block.Length; source += run)
        {
            long target = 0;
            for (var axis = 0; axis < rank; axis++)
            {
                target = target * shape[axis] + offsets[axis] + (axis < rank - 1 ? index[axis] : 0);
            }

            block.Slice(source, run).CopyTo(whole.Slice(checked((int)target), run));
            for (var axis = rank - 2; axis >= 0 && ++index[axis] == sizes[axis]; axis--)
            {
                index[axis] = 0;
            }
        }
    }
}
