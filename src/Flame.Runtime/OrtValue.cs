using System.Runtime.InteropServices;
using Flame.Runtime.Interop;

namespace Flame.Runtime;

/// <summary>
/// A tensor ORT can read and write: either over a pinned managed array (<see cref="FromArray{T}"/>;
/// the array stays pinned, and ORT reads and writes it in place, while the value lives) or in
/// memory ORT allocated (<see cref="Allocate{T}"/>, and every session output).
/// Dispose it to release the native value and unpin the array.
/// </summary>
public sealed unsafe class OrtValue : IDisposable
{
    private GCHandle _pin;

    internal OrtValue(nint value, GCHandle pin = default)
    {
        Handle = new OrtHandle(value, OrtApi.ReleaseSlot.Value);
        _pin = pin;
    }

    internal OrtHandle Handle { get; }

    /// <summary>A tensor over <paramref name="data"/> (not copied) with the given shape.</summary>
    /// <exception cref="ArgumentException">the shape's element count differs from the array's length.</exception>
    public static OrtValue FromArray<T>(T[] data, params long[] shape) where T : unmanaged
    {
        var count = ElementCount(shape);
        if (count != data.Length)
        {
            throw new ArgumentException($"shape [{string.Join(", ", shape)}] holds {count} elements but the array has {data.Length}");
        }

        var pin = GCHandle.Alloc(data, GCHandleType.Pinned);
        try
        {
            using var cpu = OrtMemoryInfo.Cpu();
            fixed (long* dims = shape)
            {
                var value = OrtApi.CreateTensorWithData(cpu.Handle.Pointer, (void*)pin.AddrOfPinnedObject(),
                    (nuint)(data.Length * sizeof(T)), dims, (nuint)shape.Length, (int)TensorElementTypes.Of<T>());
                return new OrtValue(value, pin);
            }
        }
        catch
        {
            pin.Free();
            throw;
        }
    }

    /// <summary>A tensor of any fixed-size element type (bfloat16 included) from its little-endian bytes, copied into ORT memory.</summary>
    public static OrtValue FromBytes(TensorElementType type, ReadOnlySpan<byte> data, params long[] shape)
    {
        var size = TensorElementTypes.SizeOf(type);
        var count = ElementCount(shape);
        if (size == 0 || data.Length != count * size)
        {
            throw new ArgumentException($"{data.Length} bytes do not hold shape [{string.Join(", ", shape)}] of {type}");
        }

        var value = Allocate(type, shape);
        data.CopyTo(new Span<byte>(OrtApi.TensorData(value.Handle.Pointer), data.Length));
        return value;
    }

    /// <summary>A copy of a CPU tensor's bytes, whatever its element type.</summary>
    public byte[] ToBytes()
    {
        var bytes = checked((int)(ElementCount() * TensorElementTypes.SizeOf(ElementType)));
        return new ReadOnlySpan<byte>(OrtApi.TensorData(Handle.Pointer), bytes).ToArray();
    }

    /// <summary>A tensor in CPU memory ORT allocates (zero-filled is not guaranteed).</summary>
    public static OrtValue Allocate<T>(params long[] shape) where T : unmanaged => Allocate(TensorElementTypes.Of<T>(), shape);

    public static OrtValue Allocate(TensorElementType type, params long[] shape)
    {
        fixed (long* dims = shape)
        {
            return new OrtValue(OrtApi.CreateTensor(OrtApi.DefaultAllocator(), dims, (nuint)shape.Length, (int)type));
        }
    }

    /// <summary>
    /// Rows [<paramref name="first"/>, first + <paramref name="count"/>) along axis 0, as a tensor over
    /// the same memory (any device; nothing copied): reads and writes go to this tensor. The view
    /// must be disposed before this tensor is.
    /// </summary>
    public OrtValue Rows(long first, long count)
    {
        var shape = Shape;
        if (shape.Length == 0 || first < 0 || count < 0 || first + count > shape[0])
        {
            throw new ArgumentOutOfRangeException(nameof(first), $"rows [{first}, {first + count}) of a tensor of shape [{string.Join(", ", shape)}]");
        }

        var rowBytes = ElementCount(shape[1..]) * TensorElementTypes.SizeOf(ElementType);
        shape[0] = count;
        var data = (byte*)OrtApi.TensorData(Handle.Pointer) + first * rowBytes;
        fixed (long* dims = shape)
        {
            return new OrtValue(OrtApi.CreateTensorWithData(OrtApi.TensorMemoryInfo(Handle.Pointer), data, (nuint)(count * rowBytes), dims, (nuint)shape.Length, (int)ElementType));
        }
    }

    /// <summary>A tensor over <paramref name="count"/> host elements at <paramref name="data"/> (not copied, not owned): valid while that memory is.</summary>
    internal static OrtValue OverHostMemory(void* data, int count, TensorElementType type, long[] shape)
    {
        if (ElementCount(shape) != count)
        {
            throw new ArgumentException($"shape [{string.Join(", ", shape)}] holds {ElementCount(shape)} elements, not {count}");
        }

        using var cpu = OrtMemoryInfo.Cpu();
        fixed (long* dims = shape)
        {
            return new OrtValue(OrtApi.CreateTensorWithData(cpu.Handle.Pointer, data, (nuint)(count * TensorElementTypes.SizeOf(type)), dims, (nuint)shape.Length, (int)type));
        }
    }

    public bool IsTensor => OrtApi.IsTensor(Handle.Pointer);

    public TensorElementType ElementType => WithTensorInfo(info => (TensorElementType)OrtApi.ElementType(info));

    public long[] Shape => WithTensorInfo(ShapeOf);

    public long ElementCount() => ElementCount(Shape);

    /// <summary>The name of the memory holding the data ("Cpu", "Cuda").</summary>
    public string MemoryName => OrtApi.MemoryInfoName(OrtApi.TensorMemoryInfo(Handle.Pointer));

    /// <summary>The elements in place; valid while this value lives. CPU tensors only.</summary>
    public Span<T> AsSpan<T>() where T : unmanaged
    {
        var type = ElementType;
        if (type != TensorElementTypes.Of<T>())
        {
            throw new InvalidOperationException($"the tensor holds {type}, not {typeof(T).Name}");
        }

        if (MemoryName != "Cpu")
        {
            throw new InvalidOperationException($"the tensor lives in {MemoryName} memory; bind its output to the CPU to read it");
        }

        return new Span<T>(OrtApi.TensorData(Handle.Pointer), checked((int)ElementCount()));
    }

    public T[] ToArray<T>() where T : unmanaged => AsSpan<T>().ToArray();

    public void Dispose()
    {
        Handle.Dispose();
        if (_pin.IsAllocated)
        {
            _pin.Free();
        }
    }

    internal static long[] ShapeOf(nint tensorInfo)
    {
        var rank = OrtApi.DimensionsCount(tensorInfo);
        var dims = new long[rank];
        fixed (long* d = dims)
        {
            OrtApi.Dimensions(tensorInfo, d, rank);
        }

        return dims;
    }

    private static long ElementCount(long[] shape) => shape.Aggregate(1L, (n, d) => d < 0 ? throw new ArgumentException($"shape [{string.Join(", ", shape)}] has a negative dimension") : n * d);

    private TResult WithTensorInfo<TResult>(Func<nint, TResult> read)
    {
        var info = OrtApi.TensorTypeAndShape(Handle.Pointer);
        try
        {
            return read(info);
        }
        finally
        {
            OrtApi.Release(OrtApi.ReleaseSlot.TensorTypeAndShapeInfo, info);
        }
    }
}
