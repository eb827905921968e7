using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Flame.Runtime;

/// <summary>
/// The conveniences the platform uses on ORT's <see cref="OrtValue"/>, for every element type
/// ONNX has (Half and bfloat16 included, which ORT's typed accessors do not all take): tensors
/// over managed arrays or in ORT's memory, typed and raw views of a CPU tensor, and row views
/// of a tensor on any device.
/// </summary>
public static class OrtValueExtensions
{
    extension(OrtValue)
    {
        /// <summary>A tensor over <paramref name="data"/> (pinned, not copied: ORT reads and writes the array in place while the value lives).</summary>
        /// <exception cref="ArgumentException">the shape's element count differs from the array's length.</exception>
        public static OrtValue FromArray<T>(T[] data, params long[] shape) where T : unmanaged
        {
            var count = Count(shape);
            if (count != data.Length)
            {
                throw new ArgumentException($"shape [{string.Join(", ", shape)}] holds {count} elements but the array has {data.Length}");
            }

            return OrtValue.CreateTensorValueFromMemory(data, shape);
        }

        /// <summary>A tensor of any fixed-size element type (bfloat16 included) from its little-endian bytes, copied into ORT memory.</summary>
        public static OrtValue FromBytes(TensorElementType type, ReadOnlySpan<byte> data, params long[] shape)
        {
            var size = TensorElementTypes.SizeOf(type);
            if (size == 0 || data.Length != Count(shape) * size)
            {
                throw new ArgumentException($"{data.Length} bytes do not hold shape [{string.Join(", ", shape)}] of {type}");
            }

            var value = OrtValue.Allocate(type, shape);
            data.CopyTo(value.GetTensorMutableRawData());
            return value;
        }

        /// <summary>A tensor in CPU memory ORT allocates (zero-filled is not guaranteed).</summary>
        public static OrtValue Allocate<T>(params long[] shape) where T : unmanaged => OrtValue.Allocate(TensorElementTypes.Of<T>(), shape);

        public static OrtValue Allocate(TensorElementType type, params long[] shape) =>
            OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, type, shape);

        /// <summary>A tensor over <paramref name="count"/> host elements at <paramref name="data"/> (not copied, not owned): valid while that memory is.</summary>
        public static unsafe OrtValue OverHostMemory(void* data, int count, TensorElementType type, long[] shape)
        {
            if (Count(shape) != count)
            {
                throw new ArgumentException($"shape [{string.Join(", ", shape)}] holds {Count(shape)} elements, not {count}");
            }

            return OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, type, shape, (nint)data, count * (long)TensorElementTypes.SizeOf(type));
        }
    }

    extension(OrtValue value)
    {
        public TensorElementType ElementType => value.GetTensorTypeAndShape().ElementDataType;

        public long[] Shape => value.GetTensorTypeAndShape().Shape;

        /// <summary>The name of the memory holding the data ("Cpu", "Cuda").</summary>
        public string MemoryName => value.GetTensorMemoryInfo().Name;

        public long ElementCount() => value.GetTensorTypeAndShape().ElementCount;

        /// <summary>The elements in place; valid while the value lives. CPU tensors only.</summary>
        public Span<T> AsSpan<T>() where T : unmanaged
        {
            var type = value.ElementType;
            if (type != TensorElementTypes.Of<T>())
            {
                throw new InvalidOperationException($"the tensor holds {type}, not {typeof(T).Name}");
            }

            if (value.MemoryName != "Cpu")
            {
                throw new InvalidOperationException($"the tensor lives in {value.MemoryName} memory; bind its output to the CPU to read it");
            }

            return MemoryMarshal.Cast<byte, T>(value.GetTensorMutableRawData());
        }

        public T[] ToArray<T>() where T : unmanaged => value.AsSpan<T>().ToArray();

        /// <summary>A copy of a CPU tensor's bytes, whatever its element type.</summary>
        public byte[] ToBytes() => value.GetTensorMutableRawData().ToArray();

        /// <summary>
        /// Rows [<paramref name="first"/>, first + <paramref name="count"/>) along axis 0, as a tensor over
        /// the same memory (any device; nothing copied): reads and writes go to this tensor. The view
        /// must be disposed before this tensor is.
        /// </summary>
        public unsafe OrtValue Rows(long first, long count)
        {
            var shape = value.Shape;
            if (shape.Length == 0 || first < 0 || count < 0 || first + count > shape[0])
            {
                throw new ArgumentOutOfRangeException(nameof(first), $"rows [{first}, {first + count}) of a tensor of shape [{string.Join(", ", shape)}]");
            }

            var type = value.ElementType;
            var rowBytes = Count(shape[1..]) * TensorElementTypes.SizeOf(type);
            shape[0] = count;
            // The address only: device memory is never read here.
            var start = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(value.GetTensorMutableRawData())) + first * rowBytes;
            return OrtValue.CreateTensorValueWithData(value.GetTensorMemoryInfo(), type, shape, (nint)start, count * rowBytes);
        }
    }

    private static long Count(long[] shape) => shape.Aggregate(1L, (n, d) => d < 0 ? throw new ArgumentException($"shape [{string.Join(", ", shape)}] has a negative dimension") : n * d);
}
