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
        var header = new JsonObject();
        if (metadata is { Count: > 0 })
        {
            header["__metadata__"] = new JsonObject(metadata.Select(m => KeyValuePair.Create(m.Key, (JsonNode?)m.Value)));
        }

        long offset = 0;
        foreach (var tensor in tensors)
        {
            Validate(path, tensor);
            if (header.ContainsKey(tensor.Name))
            {
                throw new ArgumentException($"{path}: tensor '{tensor.Name}' appears twice");
            }

            header[tensor.Name] = new JsonObject
            {
                ["dtype"] = tensor.DType,
                ["shape"] = new JsonArray(tensor.Shape.Select(d => (JsonNode?)d).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + tensor.Data.Length),
            };
            offset += tensor.Data.Length;
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
                stream.Write(tensor.Data.Span);
            }
        });
    }

    private static void Validate(string path, SafeTensor tensor)
    {
        if (!SafeTensor.ElementSizes.TryGetValue(tensor.DType, out var size))
        {
            throw new ArgumentException($"{path}: tensor '{tensor.Name}' has unknown dtype '{tensor.DType}'");
        }

        if (tensor.ElementCount * size != tensor.Data.Length)
        {
            throw new ArgumentException($"{path}: tensor '{tensor.Name}' of shape [{string.Join(", ", tensor.Shape)}] and dtype {tensor.DType} needs {tensor.ElementCount * size} bytes; got {tensor.Data.Length}");
        }
    }
}
