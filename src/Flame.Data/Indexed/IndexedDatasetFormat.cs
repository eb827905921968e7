namespace Flame.Data.Indexed;

/// <summary>
/// Megatron-LM's indexed dataset (megatron/core/datasets/indexed_dataset.py), byte for byte.
/// PREFIX.bin holds the tokens of every sequence back to back; PREFIX.idx is:
/// <code>
/// "MMIDIDX\0\0"            9 bytes magic
/// version                  uint64 = 1
/// dtype code               uint8  (uint8 1, int8 2, int16 3, int32 4, int64 5, float64 6, float32 7, uint16 8)
/// sequence count           uint64
/// document index count     uint64 (documents + 1)
/// sequence lengths         int32 × sequences (tokens)
/// sequence pointers        int64 × sequences (byte offsets into .bin)
/// document indices         int64 × (documents + 1): 0, then the sequence count after each document
/// </code>
/// All little-endian. We write one sequence per document, EOD appended.
/// </summary>
public static class IndexedDatasetFormat
{
    public static ReadOnlySpan<byte> Magic => "MMIDIDX\0\0"u8;

    public const ulong Version = 1;

    public const byte UInt16Code = 8;
    public const byte Int32Code = 4;

    /// <summary>Megatron stores tokens as uint16 when the vocabulary is below 65,500, else int32.</summary>
    public static byte CodeFor(int vocabularySize) => vocabularySize < 65_500 ? UInt16Code : Int32Code;

    public static int ElementSize(byte code) => code switch
    {
        UInt16Code => 2,
        Int32Code => 4,
        1 or 2 => 1,
        3 => 2,
        5 or 6 => 8,
        7 => 4,
        _ => 0,
    };
}
