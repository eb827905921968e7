using System.Text;
using System.Text.Json.Nodes;
using Flame.Onnx.IO;

namespace Flame.Onnx.SafeTensors;

/// <summary>
/// Writes the safetensors format (huggingface/safetensors): an 8-byte little-endian header
/// length N, N bytes of JSON ({name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__":
/// {string: string}}) padded with spaces to a multiple of 8, then the tensors' bytes back to
/// back (offsets relative to the end of the header). Written atomically.
/// </summary>
public static class SafeTensorsWriter
{
    public static void Write(string path, IReadOnlyList<SafeTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        foreach (var tensor in tensors)
        {
            Validate(path, tensor.Name, tensor.DType, tensor.ElementCount, tensor.Data.Length);
        }

        Write(path, tensors.Select(PendingTensor.Of).ToList(), metadata);
    }

    /// <summary>Writes tensors whose bytes are produced one at a time, as the file reaches them.</summary>
    public static void Write(string path, IReadOnlyList<PendingTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var header = new JsonObject();
        if (metadata is { Count: > 0 })
        {
            header["__metadata__"] = new JsonObject(metadata.Select(m => KeyValuePair.Create(m.Key, (JsonNode?)m.Value)));
        }

        long offset = 0;
        foreach (var tensor in tensors)
        {
            var size = ElementSize(path, tensor.Name, tensor.DType);
            if (header.ContainsKey(tensor.Name))
            {
                throw new ArgumentException($"{path}: tensor '{tensor.Name}' appears twice");
            }

            var length = tensor.ElementCount * size;
            header[tensor.Name] = new JsonObject
            {
                ["dtype"] = tensor.DType,
                ["shape"] = new JsonArray(tensor.Shape.Select(d => (JsonNode?)d).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + length),
            };
            offset += length;
        }

        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        var padded = (json.Length + 7) / 8 * 8;
        AtomicFile.Write(path, stream =>
        {
            Span<byte> length = stackalloc byte[8];
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)padded);
            stream.Write(length);
            stream.Write(json);
            stream.Write(Enumerable.Repeat((byte)' ', padded - json.Length).ToArray());
            foreach (var tensor in tensors)
            {
                var data = tensor.Produce();
                Validate(path, tensor.Name, tensor.DType, tensor.ElementCount, data.Length);
                stream.Write(data.Span);
            }
        });
    }

    private static int ElementSize(string path, string name, string dtype) => SafeTensor.ElementSizes.TryGetValue(dtype, out var size)
        ? size
        : throw new ArgumentException($"{path}: tensor '{name}' has unknown dtype '{dtype}'");

    private static void Validate(string path, string name, string dtype, long elements, long bytes)
    {
        var size = ElementSize(path, name, dtype);
        if (elements * size != bytes)
        {
            throw new ArgumentException($"{path}: tensor '{name}' of {elements} elements and dtype {dtype} needs {elements * size} bytes; got {bytes}");
        }
    }
}
