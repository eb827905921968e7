using System.Runtime.InteropServices;
using Flame.Onnx.Proto;
using Flame.Onnx.Tensors;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Flame.Runtime.Tests.Conformance;

/// <summary>
/// Compares an output with the expected tensor as onnx's backend runner does: shapes and
/// types equal, floating values within rtol 1e-3 / atol 1e-7 (NaN equals NaN), integers and
/// bools exactly.
/// </summary>
internal static class TensorComparison
{
    public const double RelativeTolerance = 1e-3;
    public const double AbsoluteTolerance = 1e-7;

    /// <summary>null when equal, else a description of the first difference.</summary>
    public static string? Compare(TensorProto expected, TensorElementType declared, OrtValue actual)
    {
        var stored = (TensorElementType)expected.DataType;
        var type = TensorElementTypes.SizeOf(declared) == TensorElementTypes.SizeOf(stored) ? declared : stored;
        if (actual.ElementType != type)
        {
            return $"type {actual.ElementType}, expected {type}";
        }

        if (!actual.Shape.SequenceEqual(expected.Dims))
        {
            return $"shape [{string.Join(", ", actual.Shape)}], expected [{string.Join(", ", expected.Dims)}]";
        }

        var want = Decode(type, OnnxTensors.ToBytes(expected));
        var got = Decode(type, actual.ToBytes());
        var floating = type is TensorElementType.Float or TensorElementType.Double or TensorElementType.Float16 or TensorElementType.BFloat16;
        for (var i = 0; i < want.Length; i++)
        {
            var same = floating
                ? (double.IsNaN(want[i]) && double.IsNaN(got[i])) || want[i] == got[i] || Math.Abs(got[i] - want[i]) <= AbsoluteTolerance + RelativeTolerance * Math.Abs(want[i])
                : want[i] == got[i];
            if (!same)
            {
                return $"element {i} is {got[i]}, expected {want[i]}";
            }
        }

        return null;
    }

    private static double[] Decode(TensorElementType type, byte[] bytes) => type switch
    {
        TensorElementType.Float => Map<float>(bytes, v => v),
        TensorElementType.Double => Map<double>(bytes, v => v),
        TensorElementType.Float16 => Map<Half>(bytes, v => (double)v),
        TensorElementType.BFloat16 => Map<ushort>(bytes, v => BitConverter.Int32BitsToSingle(v << 16)),
        TensorElementType.Int64 => Map<long>(bytes, v => v),
        TensorElementType.Int32 => Map<int>(bytes, v => v),
        TensorElementType.Int16 => Map<short>(bytes, v => v),
        TensorElementType.Int8 => Map<sbyte>(bytes, v => v),
        TensorElementType.UInt8 or TensorElementType.Bool => Map<byte>(bytes, v => v),
        TensorElementType.UInt16 => Map<ushort>(bytes, v => v),
        TensorElementType.UInt32 => Map<uint>(bytes, v => v),
        TensorElementType.UInt64 => Map<ulong>(bytes, v => v),
        _ => throw new NotSupportedException($"comparing {type} tensors"),
    };

    private static double[] Map<T>(byte[] bytes, Func<T, double> convert) where T : unmanaged =>
        MemoryMarshal.Cast<byte, T>(bytes).ToArray().Select(convert).ToArray();
}
