using System.IO.Compression;

namespace Flame.Import.Torch;

/// <summary>
/// A torch.save archive (PyTorch ≥ 1.6's zip format): FOLDER/data.pkl is the pickled object,
/// each storage it refers to is the file FOLDER/data/KEY, raw little-endian elements;
/// FOLDER/byteorder, when present, says "little". Read without PyTorch; the tensors in
/// <see cref="Root"/> are <see cref="TorchTensor"/> descriptions whose bytes
/// <see cref="Read"/> copies out.
/// </summary>
public sealed class TorchArchive : IDisposable
{
    private readonly ZipArchive _zip;
    private readonly string _folder;
    private readonly string _source;

    private TorchArchive(ZipArchive zip, string folder, string source, object root)
    {
        _zip = zip;
        _folder = folder;
        _source = source;
        Root = root;
    }

    /// <summary>The unpickled object: a tensor, or dicts / lists / <see cref="PythonObject"/>s holding them.</summary>
    public object Root { get; }

    /// <summary>Opens the archive in <paramref name="stream"/> (kept open by the caller); <paramref name="source"/> names it in errors.</summary>
    /// <exception cref="InvalidDataException">not a torch.save zip archive, or its pickle is unreadable.</exception>
    public static TorchArchive Open(Stream stream, string source)
    {
        Span<byte> magic = stackalloc byte[4];
        stream.Position = 0;
        if (stream.ReadAtLeast(magic, 4, throwOnEndOfStream: false) < 4 || magic[0] != 'P' || magic[1] != 'K')
        {
            throw new InvalidDataException($"{source}: not a torch.save zip archive (the legacy pre-1.6 format and plain pickles are not read)");
        }

        ZipArchive zip;
        try
        {
            stream.Position = 0;
            zip = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{source}: a damaged or truncated torch.save archive ({e.Message})", e);
        }

        try
        {
            var pickle = zip.Entries.FirstOrDefault(e => e.FullName.EndsWith("data.pkl", StringComparison.Ordinal) && e.FullName.Count(c => c == '/') == 1)
                ?? throw new InvalidDataException($"{source}: a zip archive without FOLDER/data.pkl, so not a torch.save archive");
            var folder = pickle.FullName[..(pickle.FullName.Length - "data.pkl".Length)];
            if (zip.GetEntry(folder + "byteorder") is { } byteOrder && ReadText(byteOrder) != "little")
            {
                throw new InvalidDataException($"{source}: big-endian tensors ({folder}byteorder) are not read");
            }

            var root = TorchUnpickler.Load(ReadAll(pickle), $"{source} ({pickle.FullName})", Storage);
            return new TorchArchive(zip, folder, source, root);
        }
        catch
        {
            zip.Dispose();
            throw;
        }

        // ('storage', storage_type, key, location, numel): torch/serialization.py's persistent_id.
        object Storage(object[] id)
        {
            if (id is not ["storage", var type, string key, _, var numel] || type.GlobalName() is not ("torch", var storageName))
            {
                throw new InvalidDataException($"{source}: unexpected persistent id ({string.Join(", ", id.Select(PythonFields.ClassName))})");
            }

            var dtype = TorchDType.FromStorageName(storageName) ?? throw new InvalidDataException($"{source}: storage type torch.{storageName} is not read");
            return new TorchStorage(dtype, key, Convert.ToInt64(numel));
        }
    }

    /// <summary>Copies the elements of <paramref name="tensor"/>, row-major, into <paramref name="destination"/> (ElementCount × element size bytes).</summary>
    /// <exception cref="InvalidDataException">its storage file is missing or shorter than the view needs.</exception>
    public void Read(TorchTensor tensor, Span<byte> destination)
    {
        var size = tensor.DType.ElementSize;
        var entry = _zip.GetEntry($"{_folder}data/{tensor.StorageKey}")
            ?? throw new InvalidDataException($"{_source}: storage data/{tensor.StorageKey} is missing from the archive");
        var last = tensor.StorageOffset + tensor.Size.Select((n, axis) => (n - 1) * tensor.Stride[axis]).Sum();
        if (tensor.ElementCount > 0 && (last + 1) * size > entry.Length)
        {
            throw new InvalidDataException($"{_source}: storage data/{tensor.StorageKey} holds {entry.Length} bytes, the tensor {tensor} needs {(last + 1) * size}");
        }

        using var stream = entry.Open();
        if (tensor.IsContiguous)
        {
            Skip(stream, tensor.StorageOffset * size);
            stream.ReadExactly(destination[..checked((int)(tensor.ElementCount * size))]);
            return;
        }

        // A strided view (torch.save writes the whole storage under it): gather element by element.
        var storage = new byte[entry.Length];
        stream.ReadExactly(storage);
        var index = new long[tensor.Size.Length];
        for (long i = 0; i < tensor.ElementCount; i++)
        {
            var at = tensor.StorageOffset;
            for (var axis = 0; axis < index.Length; axis++)
            {
                at += index[axis] * tensor.Stride[axis];
            }

            storage.AsSpan(checked((int)(at * size)), size).CopyTo(destination.Slice(checked((int)(i * size)), size));
            for (var axis = index.Length - 1; axis >= 0 && ++index[axis] == tensor.Size[axis]; axis--)
            {
                index[axis] = 0;
            }
        }
    }

    public void Dispose() => _zip.Dispose();

    private static void Skip(Stream stream, long bytes)
    {
        var buffer = new byte[Math.Min(bytes, 1 << 16)];
        while (bytes > 0)
        {
            var read = stream.Read(buffer, 0, (int)Math.Min(bytes, buffer.Length));
            if (read == 0)
            {
                throw new EndOfStreamException();
            }

            bytes -= read;
        }
    }

    private static byte[] ReadAll(ZipArchiveEntry entry)
    {
        using var stream = entry.Open();
        var bytes = new byte[entry.Length];
        stream.ReadExactly(bytes);
        return bytes;
    }

    private static string ReadText(ZipArchiveEntry entry) => System.Text.Encoding.ASCII.GetString(ReadAll(entry)).Trim();
}
