namespace Flame.Onnx.SafeTensors;

/// <summary>
/// A tensor to write whose bytes are produced only when the writer reaches it: a file larger
/// than memory (an imported 1.7B model's weights) is then written one tensor at a time. The
/// bytes <see cref="Produce"/> returns need stay valid only until the next tensor of the same
/// list is produced, so a producer may reuse one buffer for all of them.
/// </summary>
public sealed record PendingTensor(string Name, string DType, long[] Shape, Func<ReadOnlyMemory<byte>> Produce)
{
    public long ElementCount => Shape.Aggregate(1L, (n, d) => n * d);

    public static PendingTensor Of(SafeTensor tensor) => new(tensor.Name, tensor.DType, tensor.Shape, () => tensor.Data);
}
