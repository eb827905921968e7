using Flame.Onnx.Proto;
using Google.Protobuf;

namespace Flame.Onnx.Transforms;

/// <summary>A weight the session will supply: its name, element type and dimensions.</summary>
public sealed record SessionWeight(string Name, TensorProto.Types.DataType DataType, long[] Dims, long ByteLength);

/// <summary>
/// Declares weights as initializers whose bytes the session supplies (ORT's AddInitializer),
/// so that the weights are in memory once: the caller's buffers, which ORT uses in place.
/// An embedded initializer exists three times on the way to a running session (the proto, its
/// serialized bytes, ORT's tensor): flame-moe-38m's inference peaked at 2.0 GB that way.
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
