using System.Runtime.InteropServices;
using Flame.Onnx.Proto;
using Google.Protobuf;
using DataType = Flame.Onnx.Proto.TensorProto.Types.DataType;

namespace Flame.Onnx.Tensors;

/// <summary>
/// Converts between TensorProtos and typed arrays. Tensors we write keep their data in
/// raw_data (little-endian, as the spec requires); tensors we read may use raw_data or any
/// typed field the spec allows: float_data, double_data, int64_data, uint64_data, and
/// int32_data, which also carries int8/int16/uint8/uint16/bool and the bits of float16/bfloat16.
/// </summary>
public static class OnnxTensors
{
    /// <summary>The ONNX data type of a managed element type (bf16 travels as its ushort bits: use <see cref="CreateBFloat16"/>).</summary>
    public static DataType DataTypeOf<T>() where T : unmanaged => typeof(T) switch
    {
        var t when t == typeof(float) => DataType.Float,
        var t when t == typeof(double) => DataType.Double,
        var t when t == typeof(long) => DataType.Int64,
        var t when t == typeof(int) => DataType.Int32,
        var t when t == typeof(short) => DataType.Int16,
        var t when t == typeof(sbyte) => DataType.Int8,
        var t when t == typeof(byte) => DataType.Uint8,
        var t when t == typeof(ushort) => DataType.Uint16,
        var t when t == typeof(uint) => DataType.Uint32,
        var t when t == typeof(ulong) => DataType.Uint64,
        var t when t == typeof(bool) => DataType.Bool,
        var t when t == typeof(Half) => DataType.Float16,
        _ => throw new NotSupportedException($"{typeof(T).Name} has no ONNX tensor type"),
    };

    /// <summary>Bytes per element of an ONNX data type; 0 where it is not fixed (string) or sub-byte.</summary>
    public static int ElementSize(DataType type) => type switch
    {
        DataType.Float or DataType.Int32 or DataType.Uint32 => 4,
        DataType.Double or DataType.Int64 or DataType.Uint64 or DataType.Complex64 => 8,
        DataType.Int16 or DataType.Uint16 or DataType.Float16 or DataType.Bfloat16 => 2,
        DataType.Int8 or DataType.Uint8 or DataType.Bool or DataType.Float8E4M3Fn or DataType.Float8E4M3Fnuz
            or DataType.Float8E5M2 or DataType.Float8E5M2Fnuz => 1,
        DataType.Complex128 => 16,
        _ => 0,
    };

    /// <summary>A tensor holding <paramref name="data"/> (copied) with the given dims.</summary>
    public static TensorProto Create<T>(string name, ReadOnlySpan<T> data, params long[] dims) where T : unmanaged =>
        CreateRaw(name, DataTypeOf<T>(), MemoryMarshal.AsBytes(data), data.Length, dims);

    /// <summary>A bfloat16 tensor from the raw 16-bit patterns of its elements.</summary>
    public static TensorProto CreateBFloat16(string name, ReadOnlySpan<ushort> bits, params long[] dims) =>
        CreateRaw(name, DataType.Bfloat16, MemoryMarshal.AsBytes(bits), bits.Length, dims);

    /// <summary>Elements implied by the dims (1 for a scalar).</summary>
    public static long ElementCount(TensorProto tensor) => tensor.Dims.Aggregate(1L, (n, d) => n * d);

    /// <summary>The elements as <typeparamref name="T"/>, which must match the tensor's data type.</summary>
    /// <exception cref="InvalidDataException">the type differs, or the stored data does not match the dims; the message names the tensor.</exception>
    public static T[] ToArray<T>(TensorProto tensor) where T : unmanaged
    {
        var type = (DataType)tensor.DataType;
        var expected = DataTypeOf<T>();
        if (type != expected && !(type == DataType.Bfloat16 && typeof(T) == typeof(ushort)))
        {
            throw new InvalidDataException($"tensor '{tensor.Name}' holds {type}, not {expected}");
        }

        if (tensor.DataLocation == TensorProto.Types.DataLocation.External)
        {
            throw new InvalidDataException($"tensor '{tensor.Name}' keeps its data in an external file; load the model with its folder to resolve it");
        }

        var count = checked((int)ElementCount(tensor));
        var result = new T[count];
        if (!tensor.RawData.IsEmpty)
        {
            var bytes = tensor.RawData.Span;
            var size = System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
            if (bytes.Length != (long)count * size)
            {
                throw new InvalidDataException($"tensor '{tensor.Name}': raw_data has {bytes.Length} bytes; dims [{string.Join(", ", tensor.Dims)}] of {type} need {(long)count * size}");
            }

            bytes.CopyTo(MemoryMarshal.AsBytes(result.AsSpan()));
            return result;
        }

        var typed = TypedField(tensor, type);
        if (typed.Count != count)
        {
            throw new InvalidDataException($"tensor '{tensor.Name}': {typed.Count} stored values for dims [{string.Join(", ", tensor.Dims)}] ({count} elements)");
        }

        for (var i = 0; i < count; i++)
        {
            result[i] = FromStored<T>(typed[i], type);
        }

        return result;
    }

    /// <summary>The elements' little-endian bytes whatever the storage, for fixed-size types (what ORT tensors hold).</summary>
    public static byte[] ToBytes(TensorProto tensor)
    {
        var type = (DataType)tensor.DataType;
        if (!tensor.RawData.IsEmpty && tensor.DataLocation != TensorProto.Types.DataLocation.External)
        {
            return tensor.RawData.ToByteArray();
        }

        return type switch
        {
            DataType.Float => Bytes(ToArray<float>(tensor)),
            DataType.Double => Bytes(ToArray<double>(tensor)),
            DataType.Int64 => Bytes(ToArray<long>(tensor)),
            DataType.Int32 => Bytes(ToArray<int>(tensor)),
            DataType.Int16 => Bytes(ToArray<short>(tensor)),
            DataType.Int8 => Bytes(ToArray<sbyte>(tensor)),
            DataType.Uint8 => Bytes(ToArray<byte>(tensor)),
            DataType.Uint16 => Bytes(ToArray<ushort>(tensor)),
            DataType.Uint32 => Bytes(ToArray<uint>(tensor)),
            DataType.Uint64 => Bytes(ToArray<ulong>(tensor)),
            DataType.Bool => Bytes(ToArray<bool>(tensor)),
            DataType.Float16 => Bytes(ToArray<Half>(tensor)),
            DataType.Bfloat16 => Bytes(ToArray<ushort>(tensor)),
            _ => throw new NotSupportedException($"tensor '{tensor.Name}': {type} has no fixed-size byte layout"),
        };
    }

    /// <summary>A string tensor's elements (UTF-8 decoded).</summary>
    public static string[] ToStrings(TensorProto tensor) =>
        (DataType)tensor.DataType == DataType.String
            ? tensor.StringData.Select(s => s.ToStringUtf8()).ToArray()
            : throw new InvalidDataException($"tensor '{tensor.Name}' holds {(DataType)tensor.DataType}, not strings");

    private static byte[] Bytes<T>(T[] values) where T : unmanaged => MemoryMarshal.AsBytes(values.AsSpan()).ToArray();

    private static TensorProto CreateRaw(string name, DataType type, ReadOnlySpan<byte> bytes, int count, long[] dims)
    {
        var expected = dims.Aggregate(1L, (n, d) => n * d);
        if (expected != count)
        {
            throw new ArgumentException($"tensor '{name}': dims [{string.Join(", ", dims)}] hold {expected} elements but {count} were given");
        }

        var tensor = new TensorProto { Name = name, DataType = (int)type, RawData = ByteString.CopyFrom(bytes) };
        tensor.Dims.AddRange(dims);
        return tensor;
    }

    // The typed field holding a data type's values, as a list of doubles or longs boxed per element.
    private static IReadOnlyList<object> TypedField(TensorProto tensor, DataType type) => type switch
    {
        DataType.Float => tensor.FloatData.Cast<object>().ToList(),
        DataType.Double => tensor.DoubleData.Cast<object>().ToList(),
        DataType.Int64 => tensor.Int64Data.Cast<object>().ToList(),
        DataType.Uint32 or DataType.Uint64 => tensor.Uint64Data.Cast<object>().ToList(),
        _ => tensor.Int32Data.Cast<object>().ToList(),
    };

    private static T FromStored<T>(object stored, DataType type) where T : unmanaged
    {
        object value = type switch
        {
            DataType.Float => (float)stored,
            DataType.Double => (double)stored,
            DataType.Int64 => (long)stored,
            DataType.Uint64 => (ulong)stored,
            DataType.Uint32 => (uint)(ulong)stored,
            DataType.Int32 => (int)stored,
            DataType.Int16 => (short)(int)stored,
            DataType.Int8 => (sbyte)(int)stored,
            DataType.Uint16 => (ushort)(int)stored,
            DataType.Uint8 => (byte)(int)stored,
            DataType.Bool => (int)stored != 0,
            DataType.Float16 => BitConverter.UInt16BitsToHalf((ushort)(int)stored),
            DataType.Bfloat16 => (ushort)(int)stored,
            _ => throw new NotSupportedException($"reading {type} tensors is not supported"),
        };
        return (T)value;
    }
}
