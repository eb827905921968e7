using System.Runtime.InteropServices;

namespace Flame.Import.Torch;

/// <summary>
/// The element types a checkpoint may hold, by the names PyTorch pickles: storage classes
/// (torch.BFloat16Storage) inside torch.save archives and dtypes (torch.bfloat16) in
/// torch.distributed.checkpoint's metadata. Floating types convert to float32 exactly
/// (bf16, fp16) or by rounding (fp64).
/// </summary>
public sealed record TorchDType(string Name, string StorageName, int ElementSize, bool IsFloatingPoint)
{
    public static readonly TorchDType BFloat16 = new("bfloat16", "BFloat16Storage", 2, true);
    public static readonly TorchDType Float16 = new("float16", "HalfStorage", 2, true);
    public static readonly TorchDType Float32 = new("float32", "FloatStorage", 4, true);
    public static readonly TorchDType Float64 = new("float64", "DoubleStorage", 8, true);
    public static readonly TorchDType Int64 = new("int64", "LongStorage", 8, false);
    public static readonly TorchDType Int32 = new("int32", "IntStorage", 4, false);
    public static readonly TorchDType Int16 = new("int16", "ShortStorage", 2, false);
    public static readonly TorchDType Int8 = new("int8", "CharStorage", 1, false);
    public static readonly TorchDType UInt8 = new("uint8", "ByteStorage", 1, false);
    public static readonly TorchDType Bool = new("bool", "BoolStorage", 1, false);

    private static readonly TorchDType[] All = [BFloat16, Float16, Float32, Float64, Int64, Int32, Int16, Int8, UInt8, Bool];

    // torch's aliases of the same dtypes (torch.half is torch.float16, torch.float is torch.float32, ...).
    private static readonly Dictionary<string, TorchDType> ByDTypeName = All.ToDictionary(d => d.Name)
        .Concat(new Dictionary<string, TorchDType> { ["half"] = Float16, ["float"] = Float32, ["double"] = Float64, ["long"] = Int64, ["int"] = Int32, ["short"] = Int16 })
        .ToDictionary();

    /// <summary>The dtype of a torch.&lt;name&gt; global (torch.bfloat16), or null for one we do not read.</summary>
    public static TorchDType? FromDTypeName(string name) => ByDTypeName.GetValueOrDefault(name);

    /// <summary>The dtype of a storage class (torch.BFloat16Storage), or null for one we do not read.</summary>
    public static TorchDType? FromStorageName(string name) => All.FirstOrDefault(d => d.StorageName == name);

    /// <summary>Little-endian elements of this dtype as float32 (checkpoints are little-endian, as is every machine we run on).</summary>
    public void ToFloat(ReadOnlySpan<byte> source, Span<float> destination)
    {
        if (!IsFloatingPoint)
        {
            throw new InvalidDataException($"{Name} tensors are not weights");
        }

        switch (Name)
        {
            case "bfloat16":
                var bf16 = MemoryMarshal.Cast<byte, ushort>(source);   // little-endian machine: the bytes are the bits
                for (var i = 0; i < destination.Length; i++)
                {
                    destination[i] = BitConverter.Int32BitsToSingle(bf16[i] << 16);   // bf16 is float32's upper half: exact
                }

                break;
            case "float16":
                var fp16 = MemoryMarshal.Cast<byte, Half>(source);
                for (var i = 0; i < destination.Length; i++)
                {
                    destination[i] = (float)fp16[i];
                }

                break;
            case "float32":
                MemoryMarshal.Cast<byte, float>(source)[..destination.Length].CopyTo(destination);
                break;
            default:
                var fp64 = MemoryMarshal.Cast<byte, double>(source);
                for (var i = 0; i < destination.Length; i++)
                {
                    destination[i] = (float)fp64[i];
                }

                break;
        }
    }
}
