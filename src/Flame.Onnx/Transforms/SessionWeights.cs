using Flame.Onnx.Proto;
using Google.Protobuf;

namespace Flame.Onnx.Transforms;

/// <summary>A weight the session will supply: its name, element type and dimensions.</summary>
public sealed record SessionWeight(string Name, TensorProto.Types.DataType DataType, long[] Dims, long ByteLength);

/// <summary>
/// Declares weights as initializers whose bytes the session supplies (ORT's AddInitializer)
/// instead of embedding them. An embedded weight exists in the proto, in its serialized bytes
/// and in ORT's tensors, and a model's bytes cannot exceed protobuf's 2 GB. Supplied, it exists
/// in the caller's buffer and in ORT's tensors: ORT 1.31 copies supplied buffers at session
/// creation (measured: a 512 MiB weight adds 512 MiB). flame-moe-38m's inference peak fell from
/// 2.0 to 1.15 GB this way (docs/benchmarks.md).
/// Each declared initializer is marked as external data at location "." (the working folder,
/// which exists, so ORT's load-time path check passes); ORT never reads it, because the
/// session's own initializer of the same name replaces it.
/// </summary>
public static class SessionWeights
{
    public const string PlaceholderLocation = ".";

    /// <summary>The model with each of <paramref name="weights"/> an initializer to be supplied (and no longer a graph input).</summary>
    public static ModelProto Declare(ModelProto model, IEnumerable<SessionWeight> weights)
    {
        var declared = model.Clone();
        var graph = declared.Graph;
        foreach (var weight in weights)
        {
            if (graph.Initializer.Any(t => t.Name == weight.Name))
            {
                throw new ArgumentException($"'{weight.Name}' already has an initializer in the model");
            }

            var input = graph.Input.FirstOrDefault(i => i.Name == weight.Name);
            if (input is not null)
            {
                graph.Input.Remove(input);
            }

            var tensor = new TensorProto { Name = weight.Name, DataType = (int)weight.DataType, DataLocation = TensorProto.Types.DataLocation.External };
            tensor.Dims.AddRange(weight.Dims);
            tensor.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = PlaceholderLocation });
            tensor.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = "0" });
            tensor.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = weight.ByteLength.ToString(System.Globalization.CultureInfo.InvariantCulture) });
            graph.Initializer.Add(tensor);
        }

        return declared;
    }
}
