using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace Flame.Onnx.SafeTensors;

/// <summary>Where one tensor lies in a safetensors file.</summary>
public sealed record SafeTensorEntry(string Name, string DType, long[] Shape, long Begin, long End);

/// <summary>
/// A safetensors file opened for reading, memory-mapped: the header is validated up front
/// (size, JSON, dtypes, offsets covering the data exactly, no overlap), tensors are read on
/// demand. Every error names the file.
/// </summary>
public sealed class SafeTensorsFile : IDisposable
{
    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;
    private readonly long _dataStart;
    private readonly Dictionary<string, SafeTensorEntry> _entries;

    private SafeTensorsFile(string path, MemoryMappedFile map, MemoryMappedViewAccessor view, long dataStart,
        IReadOnlyList<SafeTensorEntry> entries, IReadOnlyDictionary<string, string> metadata)
    {
        Path = path;
        _map = map;
        _view = view;
        _dataStart = dataStart;
        Entries = entries;
        _entries = entries.ToDictionary(e => e.Name);
        Metadata = metadata;
    }

    public string Path { get; }

    /// <summary>Tensors in file order.</summary>
    public IReadOnlyList<SafeTensorEntry> Entries { get; }

    public IReadOnlyDictionary<string, string> Metadata { get; }

    public bool Contains(string name) => _entries.ContainsKey(name);

    /// <exception cref="InvalidDataException">the file is truncated or its header is malformed; the message names the file and the fault.</exception>
    public static SafeTensorsFile Open(string path)
    {
        var length = new FileInfo(path).Length;
        if (length < 8)
        {
            throw new InvalidDataException($"{path}: truncated safetensors file ({length} bytes; the header size alone takes 8)");
        }

        var map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        try
        {
            var view = map.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
            try
            {
                var headerSize = view.ReadInt64(0);
                if (headerSize <= 0 || 8 + headerSize > length)
                {
                    throw new InvalidDataException($"{path}: header size {headerSize} runs past the end of the file ({length} bytes): truncated or not safetensors");
                }

                var json = new byte[headerSize];
                view.ReadArray(8, json, 0, json.Length);
                var (entries, metadata) = ParseHeader(path, json, length - 8 - headerSize);
                return new SafeTensorsFile(path, map, view, 8 + headerSize, entries, metadata);
            }
            catch
            {
                view.Dispose();
                throw;
            }
        }
        catch
        {
            map.Dispose();
            throw;
        }
    }

    /// <summary>A copy of a tensor's bytes.</summary>
    public byte[] ReadBytes(string name)
    {
        var entry = Get(name);
        var bytes = new byte[entry.End - entry.Begin];
        _view.ReadArray(_dataStart + entry.Begin, bytes, 0, bytes.Length);
        return bytes;
    }

    /// <summary>A tensor's elements; <typeparamref name="T"/> must match its dtype.</summary>
    public T[] Read<T>(string name) where T : unmanaged
    {
        var entry = Get(name);
        if (entry.DType != SafeTensor.DTypeOf<T>())
        {
            throw new InvalidDataException($"{Path}: tensor '{name}' is {entry.DType}, not {SafeTensor.DTypeOf<T>()}");
        }

        return MemoryMarshal.Cast<byte, T>(ReadBytes(name)).ToArray();
    }

    /// <summary>
    /// The raw bytes of a tensor that must exist with the given dtype and shape; otherwise an
    /// <see cref="InvalidDataException"/> naming this file, the tensor and what was expected.
    /// </summary>
    public byte[] ReadExpected(string name, string dtype, long[] shape)
    {
        if (!Contains(name))
        {
            throw new InvalidDataException($"{Path} has no tensor '{name}'");
        }

        var entry = Get(name);
        if (entry.DType != dtype || !entry.Shape.SequenceEqual(shape))
        {
            throw new InvalidDataException($"{Path}: '{name}' is {entry.DType}[{string.Join(", ", entry.Shape)}], expected {dtype}[{string.Join(", ", shape)}]");
        }

        return ReadBytes(name);
    }

    public SafeTensorEntry Get(string name) => _entries.TryGetValue(name, out var entry)
        ? entry
        : throw new KeyNotFoundException($"{Path} has no tensor '{name}'");

    public void Dispose()
    {
        _view.Dispose();
        _map.Dispose();
    }

    private static (List<SafeTensorEntry>, Dictionary<string, string>) ParseHeader(string path, byte[] json, long dataLength)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: the header is not valid JSON ({e.Message})");
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidDataException($"{path}: the header is not a JSON object");
            }

            var entries = new List<SafeTensorEntry>();
            var metadata = new Dictionary<string, string>();
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.Name == "__metadata__")
                {
                    foreach (var m in property.Value.EnumerateObject())
                    {
                        metadata[m.Name] = m.Value.ValueKind == JsonValueKind.String ? m.Value.GetString()! : throw new InvalidDataException($"{path}: metadata '{m.Name}' is not a string");
                    }

                    continue;
                }

                entries.Add(ParseEntry(path, property));
            }

            // The data buffer must be covered exactly: sorted by offset, no holes, no overlaps.
            long expected = 0;
            foreach (var entry in entries.OrderBy(e => e.Begin).ThenBy(e => e.End))
            {
                if (entry.Begin != expected)
                {
                    throw new InvalidDataException($"{path}: tensor '{entry.Name}' starts at byte {entry.Begin}, expected {expected} (overlapping or missing data)");
                }

                expected = entry.End;
            }

            if (expected != dataLength)
            {
                throw new InvalidDataException($"{path}: the tensors cover {expected} bytes but the file holds {dataLength} after the header (truncated or trailing data)");
            }

            return (entries, metadata);
        }
    }

    private static SafeTensorEntry ParseEntry(string path, JsonProperty property)
    {
        try
        {
            var value = property.Value;
            var dtype = value.GetProperty("dtype").GetString() ?? "";
            if (!SafeTensor.ElementSizes.TryGetValue(dtype, out var size))
            {
                throw new InvalidDataException($"{path}: tensor '{property.Name}' has unknown dtype '{dtype}'");
            }

            var shape = value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray();
            var offsets = value.GetProperty("data_offsets").EnumerateArray().Select(d => d.GetInt64()).ToArray();
            if (offsets.Length != 2 || offsets[0] < 0 || offsets[1] < offsets[0])
            {
                throw new InvalidDataException($"{path}: tensor '{property.Name}' has invalid data_offsets [{string.Join(", ", offsets)}]");
            }

            var needed = shape.Aggregate(1L, (n, d) => n * d) * size;
            if (offsets[1] - offsets[0] != needed)
            {
                throw new InvalidDataException($"{path}: tensor '{property.Name}' of shape [{string.Join(", ", shape)}] and dtype {dtype} needs {needed} bytes; its offsets span {offsets[1] - offsets[0]}");
            }

            return new SafeTensorEntry(property.Name, dtype, shape, offsets[0], offsets[1]);
        }
        catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{path}: tensor '{property.Name}' needs dtype, shape and data_offsets ({e.Message})");
        }
    }
}
