using System.Buffers;
using System.Collections;

namespace Flame.Import.Torch;

/// <summary>One piece of a tensor in a distributed checkpoint: where it sits in the whole tensor and where its bytes are.</summary>
/// <param name="Offsets">Its first element's index in the global tensor, per axis.</param>
/// <param name="Sizes">Its extent per axis.</param>
/// <param name="File">The data file (relative to the checkpoint folder) holding it.</param>
/// <param name="Offset">Where in <paramref name="File"/> its item (a torch.save archive of the chunk) begins.</param>
/// <param name="Length">The item's length in bytes.</param>
public sealed record DistributedChunk(long[] Offsets, long[] Sizes, string File, long Offset, long Length)
{
    public long ElementCount => Sizes.Aggregate(1L, (n, d) => n * d);
}

/// <summary>A tensor of a distributed checkpoint: its global shape and dtype and the chunks the ranks wrote of it.</summary>
public sealed record DistributedTensor(string Key, TorchDType DType, long[] Size, IReadOnlyList<DistributedChunk> Chunks)
{
    public long ElementCount => Size.Aggregate(1L, (n, d) => n * d);

    public override string ToString() => $"{Key} {DType.Name}[{string.Join(", ", Size)}]";
}

/// <summary>
/// A folder written by PyTorch's torch.distributed.checkpoint (DCP) FileSystemWriter, read
/// without PyTorch: <c>.metadata</c> is a pickled <c>Metadata</c> whose
/// <c>state_dict_metadata</c> gives every key's global size, dtype and chunks and whose
/// <c>storage_data</c> maps each chunk (<c>MetadataIndex(fqn, offset)</c>) to
/// <c>_StorageInfo(relative_path, offset, length)</c>; the data files
/// (<c>__RANK_N.distcp</c>) hold one torch.save archive per chunk at those offsets.
/// Non-tensor entries (BytesStorageMetadata: Megatron's _extra_state, RNG states) are listed
/// in <see cref="ByteKeys"/> and not read. docs/import.md names the PyTorch versions followed.
/// </summary>
public sealed class DistributedCheckpoint : IDisposable
{
    public const string MetadataFile = ".metadata";

    private readonly Dictionary<string, FileStream> _files = [];

    private DistributedCheckpoint(string folder, IReadOnlyDictionary<string, DistributedTensor> tensors, IReadOnlyList<string> byteKeys)
    {
        Folder = folder;
        Tensors = tensors;
        ByteKeys = byteKeys;
    }

    public string Folder { get; }

    public IReadOnlyDictionary<string, DistributedTensor> Tensors { get; }

    public IReadOnlyList<string> ByteKeys { get; }

    /// <exception cref="InvalidDataException">.metadata is missing or not DCP metadata; the message names the file and the entry.</exception>
    public static DistributedCheckpoint Open(string folder)
    {
        var path = Path.Combine(folder, MetadataFile);
        if (!File.Exists(path))
        {
            throw new InvalidDataException($"{path} is missing: {folder} is not a torch.distributed.checkpoint folder");
        }

        var root = TorchUnpickler.Load(File.ReadAllBytes(path), path);
        if (root is not PythonObject { Type.Name: "Metadata" } metadata || metadata.Field("state_dict_metadata") is not IDictionary entries)
        {
            throw new InvalidDataException($"{path}: expected a pickled torch.distributed.checkpoint.metadata.Metadata, found {root}");
        }

        var storage = StorageOf(metadata.Field("storage_data") as IDictionary
            ?? throw new InvalidDataException($"{path}: Metadata.storage_data is missing (written by a storage writer other than FileSystemWriter?)"), path);
        var tensors = new Dictionary<string, DistributedTensor>();
        var byteKeys = new List<string>();
        foreach (DictionaryEntry entry in entries)
        {
            var key = (string)entry.Key;
            switch (entry.Value)
            {
                case PythonObject { Type.Name: "BytesStorageMetadata" }:
                    byteKeys.Add(key);
                    break;
                case PythonObject { Type.Name: "TensorStorageMetadata" } tensor:
                    tensors[key] = TensorOf(key, tensor, storage, path);
                    break;
                default:
                    throw new InvalidDataException($"{path}: entry '{key}' is a {entry.Value}, neither TensorStorageMetadata nor BytesStorageMetadata");
            }
        }

        return new DistributedCheckpoint(folder, tensors, byteKeys);
    }

    public DistributedTensor Get(string key) => Tensors.TryGetValue(key, out var tensor)
        ? tensor
        : throw new InvalidDataException($"{Path.Combine(Folder, MetadataFile)} has no tensor '{key}'");

    /// <summary>The whole tensor <paramref name="key"/>, its chunks joined, as float32 in row-major order.</summary>
    /// <exception cref="InvalidDataException">a chunk is missing, its file is missing or truncated, or its item is not the chunk; the message names file and key.</exception>
    public float[] ReadFloats(string key) => ReadFloats(key, leading: null);

    /// <summary>
    /// One index <paramref name="leading"/> of the first axis of <paramref name="key"/> (one layer of
    /// a stacked tensor), read from the chunks that lie there alone; null reads the whole tensor.
    /// </summary>
    public float[] ReadFloats(string key, long? leading)
    {
        var tensor = Get(key);
        var whole = new float[checked((int)(tensor.ElementCount / (leading is null ? 1 : tensor.Size[0])))];
        ReadInto(key, leading, whole);
        return whole;
    }

    /// <summary>As <see cref="ReadFloats(string, long?)"/>, into <paramref name="destination"/> (exactly the elements read), so a caller can reuse one buffer for many tensors.</summary>
    public void ReadInto(string key, long? leading, Span<float> destination)
    {
        var tensor = Get(key);
        var chunks = leading is { } index
            ? tensor.Chunks.Where(c => c.Offsets[0] <= index && index < c.Offsets[0] + c.Sizes[0]).ToList()
            : tensor.Chunks;
        if (chunks.Any(c => leading is not null && c.Sizes[0] != 1))
        {
            throw new InvalidDataException($"{Path.Combine(Folder, MetadataFile)}: '{key}' has chunks spanning several indices of its first axis; expected one per layer");
        }

        var size = leading is null ? tensor.Size : tensor.Size[1..];
        var count = size.Aggregate(1L, (n, d) => n * d);
        var covered = chunks.Sum(c => c.ElementCount);
        if (covered != count)
        {
            throw new InvalidDataException($"{Path.Combine(Folder, MetadataFile)}: the chunks of '{key}'{(leading is null ? "" : $" at index {leading} of its first axis")} hold {covered} of its {count} elements");
        }

        if (destination.Length != count)
        {
            throw new ArgumentException($"'{key}' has {count} elements; the destination holds {destination.Length}", nameof(destination));
        }

        foreach (var chunk in chunks)
        {
            ReadChunk(tensor, chunk, leading is null ? chunk.Offsets : chunk.Offsets[1..], leading is null ? chunk.Sizes : chunk.Sizes[1..], size, destination);
        }
    }

    public void Dispose()
    {
        foreach (var file in _files.Values)
        {
            file.Dispose();
        }

        _files.Clear();
    }

    // Places the chunk's values into `whole`, through buffers rented for the call: a chunk is mostly
    // over 85 kB, so fresh arrays would each land on the large-object heap and wait for a full GC.
    private void ReadChunk(DistributedTensor tensor, DistributedChunk chunk, long[] offsets, long[] sizes, long[] size, Span<float> whole)
    {
        var path = Path.Combine(Folder, chunk.File);
        var where = $"{path} (item of '{tensor.Key}' at offsets [{string.Join(", ", chunk.Offsets)}])";
        if (!_files.TryGetValue(chunk.File, out var file))
        {
            if (!File.Exists(path))
            {
                throw new InvalidDataException($"{path} is missing: it holds '{tensor.Key}' (chunk at offsets [{string.Join(", ", chunk.Offsets)}]); copy every __*.distcp file of the checkpoint");
            }

            _files[chunk.File] = file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        }

        if (chunk.Offset + chunk.Length > file.Length)
        {
            throw new InvalidDataException($"{path} is truncated: it has {file.Length} bytes, '{tensor.Key}' (chunk at offsets [{string.Join(", ", chunk.Offsets)}]) needs bytes {chunk.Offset} to {chunk.Offset + chunk.Length}");
        }

        using var archive = TorchArchive.Open(new WindowStream(file, chunk.Offset, chunk.Length), where);
        var stored = archive.Root as TorchTensor ?? throw new InvalidDataException($"{where}: the item is a {archive.Root}, not a tensor");
        var expected = chunk.ElementCount;
        if (stored.ElementCount != expected || stored.DType != tensor.DType)
        {
            throw new InvalidDataException($"{where}: the item is {stored}, the metadata says {tensor.DType.Name}[{string.Join(", ", chunk.Sizes)}]");
        }

        var byteCount = checked((int)(expected * stored.DType.ElementSize));
        var bytes = ArrayPool<byte>.Shared.Rent(byteCount);
        var values = ArrayPool<float>.Shared.Rent((int)expected);
        try
        {
            archive.Read(stored, bytes.AsSpan(0, byteCount));
            stored.DType.ToFloat(bytes.AsSpan(0, byteCount), values.AsSpan(0, (int)expected));
            TensorBlocks.Place(values.AsSpan(0, (int)expected), offsets, sizes, size, whole);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(values);
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }

    private static DistributedTensor TensorOf(string key, PythonObject metadata, Dictionary<string, (string File, long Offset, long Length)> storage, string path)
    {
        var properties = metadata.Field("properties") as PythonObject;
        // TensorProperties pickles a tuple (dtype, layout, requires_grad, memory format, pin_memory) through its __getstate__.
        var dtypeGlobal = properties?.State is object[] state && state.Length > 0 ? state[0] : properties?.Field("dtype");
        var dtype = (dtypeGlobal.GlobalName() is ("torch", var name) ? TorchDType.FromDTypeName(name) : null)
            ?? throw new InvalidDataException($"{path}: '{key}' has dtype {dtypeGlobal.ClassName()}, which is not read");
        var size = metadata.Field("size") as long[] ?? throw new InvalidDataException($"{path}: '{key}' has no size");
        var chunks = new List<DistributedChunk>();
        foreach (var item in metadata.Field("chunks") as IEnumerable ?? Array.Empty<object>())
        {
            var chunk = (PythonObject)item;
            var offsets = chunk.Field("offsets") as long[] ?? throw new InvalidDataException($"{path}: a chunk of '{key}' has no offsets");
            var sizes = chunk.Field("sizes") as long[] ?? throw new InvalidDataException($"{path}: a chunk of '{key}' has no sizes");
            if (!storage.TryGetValue(IndexKey(key, offsets), out var where))
            {
                throw new InvalidDataException($"{path}: the chunk of '{key}' at offsets [{string.Join(", ", offsets)}] has no entry in storage_data");
            }

            chunks.Add(new DistributedChunk(offsets, sizes, where.File, where.Offset, where.Length));
        }

        return new DistributedTensor(key, dtype, size, chunks);
    }

    // storage_data: MetadataIndex(fqn, offset, index) -> _StorageInfo(relative_path, offset, length).
    private static Dictionary<string, (string File, long Offset, long Length)> StorageOf(IDictionary storageData, string path)
    {
        var storage = new Dictionary<string, (string, long, long)>();
        foreach (DictionaryEntry entry in storageData)
        {
            if (entry.Key is not PythonObject index || index.Field("fqn") is not string fqn || entry.Value is not PythonObject info
                || info.Field("relative_path") is not string file)
            {
                throw new InvalidDataException($"{path}: a storage_data entry is {entry.Key} -> {entry.Value}, not MetadataIndex -> _StorageInfo");
            }

            storage[IndexKey(fqn, index.Field("offset") as long[])] = (file, Convert.ToInt64(info.Field("offset")), Convert.ToInt64(info.Field("length")));
        }

        return storage;
    }

    private static string IndexKey(string fqn, long[]? offsets) => offsets is null ? fqn : $"{fqn}@{string.Join(",", offsets)}";
}
