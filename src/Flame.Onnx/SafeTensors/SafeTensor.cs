using System.Runtime.InteropServices;

namespace Flame.Onnx.SafeTensors;

/// <summary>A named tensor to write: its safetensors dtype ("F32", "BF16", "I64", ...), shape and little-endian bytes.</summary>
public sealed record SafeTensor(string Name, string DType, long[] Shape, ReadOnlyMemory<byte> Data)
{
    /// <summary>The dtypes of the format and their element sizes.</summary>
    public static IReadOnlyDictionary<string, int> ElementSizes { get; } = new Dictionary<string, int>
    {
        ["F64"] = 8, ["F32"] = 4, ["F16"] = 2, ["BF16"] = 2, ["I64"] = 8, ["I32"] = 4, ["I16"] = 2, ["I8"] = 1,
        ["U64"] = 8, ["U32"] = 4, ["U16"] = 2, ["U8"] = 1, ["BOOL"] = 1,
    };

    /// <summary>A tensor over a copy of <paramref name="values"/>.</summary>
    public static SafeTensor From<T>(string name, ReadOnlySpan<T> values, params long[] shape) where T : unmanaged =>
        new(name, DTypeOf<T>(), shape, MemoryMarshal.AsBytes(values).ToArray());

    public static string DTypeOf<T>() where T : unmanaged => typeof(T) switch
    {
        var t when t == typeof(double) => "F64",
        var t when t == typeof(float) => "F32",
        var t when t == typeof(Half) => "F16",
        var t when t == typeof(long) => "I64",
        var t when t == typeof(int) => "I32",
        var t when t == typeof(short) => "I16",
        var t when t == typeof(sbyte) => "I8",
        var t when t == typeof(ulong) => "U64",
        var t when t == typeof(uint) => "U32",
        var t when t == typeof(ushort) => "U16",
        var t when t == typeof(byte) => "U8",
        var t when t == typeof(bool) => "BOOL",
        _ => throw new NotSupportedException($"{typeof(T).Name} has no safetensors dtype"),
    };

    public long ElementCount => Shape.Aggregate(1L, (n, d) => n * d);
}
