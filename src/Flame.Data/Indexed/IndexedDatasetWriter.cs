using System.Buffers.Binary;
using Flame.Onnx.IO;

namespace Flame.Data.Indexed;

/// <summary>
/// Writes a Megatron-compatible PREFIX.bin/PREFIX.idx pair, one document at a time. The .bin
/// streams to a temporary file; <see cref="Complete"/> writes the .idx and swaps the new pair in
/// (<see cref="IndexedDatasetPair"/>), so an interrupted run never leaves a pair that looks
/// complete, and one killed during the swap leaves the old pair or the new one, never a mix.
/// An existing pair is replaced only when asked (<c>overwrite</c>).
/// </summary>
public sealed class IndexedDatasetWriter : IDisposable
{
    private readonly string _prefix;
    private readonly byte _code;
    private readonly FileStream _bin;
    private readonly string _binTemporary;
    private readonly List<int> _lengths = [];
    private readonly List<long> _documentIndices = [0];
    private bool _completed;

    /// <exception cref="IOException">the pair exists and <paramref name="overwrite"/> is false.</exception>
    public IndexedDatasetWriter(string prefix, int vocabularySize, bool overwrite = false)
    {
        _prefix = Path.GetFullPath(prefix);
        _code = IndexedDatasetFormat.CodeFor(vocabularySize);
        Directory.CreateDirectory(Path.GetDirectoryName(_prefix)!);
        IndexedDatasetPair.Recover(_prefix);
        if (!overwrite && IndexedDatasetPair.Exists(_prefix))
        {
            throw new IOException($"the dataset {_prefix}.bin/.idx exists; add --force to replace it");
        }

        _binTemporary = $"{_prefix}.bin.{Guid.NewGuid():N}.partial";
        _bin = new FileStream(_binTemporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20);
    }

    public long Documents => _documentIndices.Count - 1;

    public long Tokens { get; private set; }

    /// <summary>Appends one document's tokens (the caller appends EOD) as one sequence.</summary>
    public void Add(ReadOnlySpan<int> tokens)
    {
        var size = IndexedDatasetFormat.ElementSize(_code);
        var buffer = new byte[tokens.Length * size];
        for (var i = 0; i < tokens.Length; i++)
        {
            if (_code == IndexedDatasetFormat.UInt16Code)
            {
                BinaryPrimitives.WriteUInt16LittleEndian(buffer.AsSpan(i * 2), checked((ushort)tokens[i]));
            }
            else
            {
                BinaryPrimitives.WriteInt32LittleEndian(buffer.AsSpan(i * 4), tokens[i]);
            }
        }

        _bin.Write(buffer);
        _lengths.Add(tokens.Length);
        _documentIndices.Add(_lengths.Count);
        Tokens += tokens.Length;
    }

    /// <summary>Writes the index and makes the pair visible under its final names.</summary>
    public void Complete()
    {
        _bin.Flush(flushToDisk: true);
        _bin.Dispose();
        if (_lengths.Count == 0)
        {
            throw new InvalidDataException($"no documents to write to {_prefix}.bin/.idx (the input is empty or every document was skipped); nothing was replaced");
        }

        AtomicFile.Write(IndexedDatasetPair.Staged(IndexedDatasetPair.Idx(_prefix)), stream =>
        {
            var writer = new BinaryWriter(stream);
            writer.Write(IndexedDatasetFormat.Magic);
            writer.Write(IndexedDatasetFormat.Version);
            writer.Write(_code);
            writer.Write((ulong)_lengths.Count);
            writer.Write((ulong)_documentIndices.Count);
            foreach (var length in _lengths)
            {
                writer.Write(length);
            }

            long pointer = 0;
            foreach (var length in _lengths)
            {
                writer.Write(pointer);
                pointer += (long)length * IndexedDatasetFormat.ElementSize(_code);
            }

            foreach (var index in _documentIndices)
            {
                writer.Write(index);
            }

            writer.Flush();
        });
        File.Move(_binTemporary, IndexedDatasetPair.Staged(IndexedDatasetPair.Bin(_prefix)), overwrite: true);
        IndexedDatasetPair.Commit(_prefix);
        _completed = true;
    }

    public void Dispose()
    {
        _bin.Dispose();
        if (!_completed && File.Exists(_binTemporary))
        {
            File.Delete(_binTemporary);
        }
    }
}
