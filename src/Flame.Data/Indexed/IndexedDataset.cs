using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;

namespace Flame.Data.Indexed;

/// <summary>
/// A Megatron indexed dataset opened for reading: the index is parsed and checked against
/// the .bin up front (magic, version, dtype, sizes), tokens are read through a memory map.
/// </summary>
public sealed class IndexedDataset : IDisposable
{
    private readonly MemoryMappedFile? _map;
    private readonly MemoryMappedViewAccessor? _view;
    private readonly int _elementSize;

    private IndexedDataset(string prefix, byte code, int[] lengths, long[] pointers, long[] documentIndices, MemoryMappedFile? map, MemoryMappedViewAccessor? view)
    {
        Prefix = prefix;
        DTypeCode = code;
        SequenceLengths = lengths;
        SequencePointers = pointers;
        DocumentIndices = documentIndices;
        _map = map;
        _view = view;
        _elementSize = IndexedDatasetFormat.ElementSize(code);
    }

    public string Prefix { get; }

    public byte DTypeCode { get; }

    public IReadOnlyList<int> SequenceLengths { get; }

    public IReadOnlyList<long> SequencePointers { get; }

    public IReadOnlyList<long> DocumentIndices { get; }

    public int Count => SequenceLengths.Count;

    public long Tokens => SequenceLengths.Sum(l => (long)l);

    /// <exception cref="InvalidDataException">a missing file, a bad header, or a .bin that does not match its .idx; the message names both files.</exception>
    public static IndexedDataset Open(string prefix)
    {
        // A swap that a killed writer committed but did not finish is finished first.
        if (File.Exists(IndexedDatasetPair.Marker(prefix)))
        {
            IndexedDatasetPair.Recover(prefix);
        }

        string idx = prefix + ".idx", bin = prefix + ".bin";
        foreach (var file in new[] { idx, bin })
        {
            if (!File.Exists(file))
            {
                throw new InvalidDataException($"{file} is missing: an indexed dataset is a {bin} / {idx} pair");
            }
        }

        using var reader = new BinaryReader(File.OpenRead(idx));
        var fail = (string why) => new InvalidDataException($"{idx}: {why} (dataset {bin} / {idx})");
        try
        {
            if (!reader.ReadBytes(9).AsSpan().SequenceEqual(IndexedDatasetFormat.Magic))
            {
                throw fail("not a Megatron index: the magic MMIDIDX is missing");
            }

            var version = reader.ReadUInt64();
            if (version != IndexedDatasetFormat.Version)
            {
                throw fail($"index version {version}, expected {IndexedDatasetFormat.Version}");
            }

            var code = reader.ReadByte();
            if (IndexedDatasetFormat.ElementSize(code) == 0)
            {
                throw fail($"unknown dtype code {code}");
            }

            var sequences = checked((int)reader.ReadUInt64());
            var documents = checked((int)reader.ReadUInt64());
            var lengths = MemoryMarshal.Cast<byte, int>(reader.ReadBytes(sequences * 4)).ToArray();
            var pointers = MemoryMarshal.Cast<byte, long>(reader.ReadBytes(sequences * 8)).ToArray();
            var documentIndices = MemoryMarshal.Cast<byte, long>(reader.ReadBytes(documents * 8)).ToArray();
            if (lengths.Length != sequences || pointers.Length != sequences || documentIndices.Length != documents)
            {
                throw fail("the index is truncated");
            }

            var elementSize = IndexedDatasetFormat.ElementSize(code);
            var expected = sequences == 0 ? 0 : pointers[^1] + (long)lengths[^1] * elementSize;
            var actual = new FileInfo(bin).Length;
            if (actual != expected)
            {
                throw new InvalidDataException($"{bin} has {actual} bytes but {idx} describes {expected}: the pair does not match (or one is truncated)");
            }

            // An empty .bin cannot be mapped (and has nothing to read).
            var map = actual == 0 ? null : MemoryMappedFile.CreateFromFile(bin, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
            return new IndexedDataset(prefix, code, lengths, pointers, documentIndices, map, map?.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read));
        }
        catch (EndOfStreamException)
        {
            throw fail("the index is truncated");
        }
    }

    /// <summary>The tokens of sequence <paramref name="index"/>.</summary>
    public int[] Sequence(int index)
    {
        var tokens = new int[SequenceLengths[index]];
        Read(index, 0, tokens);
        return tokens;
    }

    /// <summary>Copies tokens [from, from + destination.Length) of sequence <paramref name="index"/>.</summary>
    public void Read(int index, int from, Span<int> destination)
    {
        if (from < 0 || from + destination.Length > SequenceLengths[index])
        {
            throw new ArgumentOutOfRangeException(nameof(from), $"tokens {from}..{from + destination.Length} of a sequence of {SequenceLengths[index]}");
        }

        var position = SequencePointers[index] + (long)from * _elementSize;
        for (var i = 0; i < destination.Length; i++, position += _elementSize)
        {
            destination[i] = _elementSize == 2 ? _view!.ReadUInt16(position) : _view!.ReadInt32(position);
        }
    }

    public void Dispose()
    {
        _view?.Dispose();
        _map?.Dispose();
    }
}
