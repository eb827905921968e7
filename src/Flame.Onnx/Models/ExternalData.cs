using Flame.Onnx.IO;
using Flame.Onnx.Proto;
using Google.Protobuf;
using DataLocation = Flame.Onnx.Proto.TensorProto.Types.DataLocation;

namespace Flame.Onnx.Models;

/// <summary>
/// The external-data convention of the ONNX spec: a tensor with data_location EXTERNAL names
/// its bytes by external_data entries "location" (a path relative to the model's folder),
/// "offset" and "length" (bytes; absent length = to the end of the file).
/// </summary>
internal static class ExternalData
{
    /// <summary>Every tensor of the model: graph initializers, Constant node attributes, also inside subgraphs and functions.</summary>
    public static IEnumerable<TensorProto> Tensors(ModelProto model)
    {
        foreach (var tensor in GraphTensors(model.Graph))
        {
            yield return tensor;
        }

        foreach (var tensor in model.Functions.SelectMany(f => f.Node).SelectMany(NodeTensors))
        {
            yield return tensor;
        }
    }

    public static void ResolveInto(ModelProto model, string folder)
    {
        foreach (var tensor in Tensors(model).Where(t => t.DataLocation == DataLocation.External))
        {
            var entries = tensor.ExternalData.ToDictionary(e => e.Key, e => e.Value);
            if (!entries.TryGetValue("location", out var location))
            {
                throw new InvalidDataException($"tensor '{tensor.Name}' is external but names no location");
            }

            var file = Path.Combine(folder, location);
            if (!File.Exists(file))
            {
                throw new InvalidDataException($"tensor '{tensor.Name}': its external data file {file} is missing");
            }

            var offset = entries.TryGetValue("offset", out var o) ? long.Parse(o, System.Globalization.CultureInfo.InvariantCulture) : 0;
            using var stream = File.OpenRead(file);
            var length = entries.TryGetValue("length", out var l) ? long.Parse(l, System.Globalization.CultureInfo.InvariantCulture) : stream.Length - offset;
            if (offset < 0 || length < 0 || offset + length > stream.Length)
            {
                throw new InvalidDataException($"tensor '{tensor.Name}': bytes {offset}..{offset + length} lie beyond the end of {file} ({stream.Length} bytes)");
            }

            var bytes = new byte[length];
            stream.Position = offset;
            stream.ReadExactly(bytes);
            tensor.RawData = ByteString.CopyFrom(bytes);
            tensor.ExternalData.Clear();
            tensor.DataLocation = DataLocation.Default;
        }
    }

    public static void MoveOut(ModelProto model, long thresholdBytes, string dataPath, string location)
    {
        var moving = Tensors(model).Where(t => t.DataLocation != DataLocation.External && t.RawData.Length >= thresholdBytes).ToList();
        AtomicFile.Write(dataPath, stream =>
        {
            foreach (var tensor in moving)
            {
                var padding = (ExternalDataOptions.Alignment - stream.Position % ExternalDataOptions.Alignment) % ExternalDataOptions.Alignment;
                stream.Write(new byte[padding]);
                var offset = stream.Position;
                tensor.RawData.WriteTo(stream);
                tensor.ExternalData.Add(Entry("location", location));
                tensor.ExternalData.Add(Entry("offset", offset.ToString(System.Globalization.CultureInfo.InvariantCulture)));
                tensor.ExternalData.Add(Entry("length", tensor.RawData.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)));
                tensor.DataLocation = DataLocation.External;
                tensor.RawData = ByteString.Empty;
            }
        });
    }

    private static StringStringEntryProto Entry(string key, string value) => new() { Key = key, Value = value };

    private static IEnumerable<TensorProto> GraphTensors(GraphProto? graph) =>
        graph is null ? [] : graph.Initializer.Concat(graph.Node.SelectMany(NodeTensors));

    private static IEnumerable<TensorProto> NodeTensors(NodeProto node) =>
        node.Attribute.SelectMany(a => (a.T is null ? [] : new[] { a.T }).Concat(a.Tensors)
            .Concat(a.G is null ? [] : GraphTensors(a.G)).Concat(a.Graphs.SelectMany(GraphTensors)));
}
