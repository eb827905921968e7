namespace Flame.Import.Torch;

/// <summary>
/// A tensor inside a torch.save archive, as torch._utils._rebuild_tensor_v2 describes it: a
/// view (offset, sizes and strides in elements) of storage <see cref="StorageKey"/> (the file
/// data/KEY of the archive) holding elements of <see cref="DType"/>.
/// </summary>
public sealed record TorchTensor(TorchDType DType, string StorageKey, long StorageElements, long StorageOffset, long[] Size, long[] Stride)
{
    public long ElementCount => Size.Aggregate(1L, (n, d) => n * d);

    /// <summary>Whether the view is the row-major layout of its sizes (then it reads as one block).</summary>
    public bool IsContiguous
    {
        get
        {
            var expected = 1L;
            for (var axis = Size.Length - 1; axis >= 0; axis--)
            {
                if (Size[axis] != 1 && Stride[axis] != expected)
                {
                    return false;
                }

                expected *= Size[axis];
            }

            return true;
        }
    }

    public override string ToString() => $"{DType.Name}[{string.Join(", ", Size)}]";
}
