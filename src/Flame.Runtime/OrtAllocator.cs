using Flame.Runtime.Interop;

namespace Flame.Runtime;

/// <summary>
/// An allocator of a session for one kind of memory (CPU, or a CUDA device once the session
/// runs on CUDA): tensors it allocates live there, so weights and optimizer state can stay
/// resident on the device across runs. Created by <see cref="InferenceSession.CreateAllocator"/>;
/// tensors it made must be disposed before it is.
/// </summary>
public sealed unsafe class OrtAllocator : IDisposable
{
    internal OrtAllocator(nint allocator, string memory)
    {
        Handle = new OrtHandle(allocator, OrtApi.ReleaseSlot.Allocator);
        MemoryName = memory;
    }

    internal OrtHandle Handle { get; }

    /// <summary>ORT's name of the memory this allocator serves ("Cpu", "Cuda", ...).</summary>
    public string MemoryName { get; }

    /// <summary>A tensor of the given element type and shape in this allocator's memory (contents unspecified).</summary>
    public OrtValue Allocate(TensorElementType type, params long[] shape)
    {
        fixed (long* dims = shape)
        {
            return new OrtValue(OrtApi.CreateTensor(Handle.Pointer, dims, (nuint)shape.Length, (int)type));
        }
    }

    public void Dispose() => Handle.Dispose();
}
