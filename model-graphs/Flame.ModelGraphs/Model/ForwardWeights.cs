using Flame.Onnx.Proto;
using Flame.Onnx.SafeTensors;
using Google.Protobuf;

namespace Flame.ModelGraphs.Model;

/// <summary>A forward graph built with its weights as inputs, given the weights of a safetensors file as initializers (checkpoints, exports).</summary>
public static class ForwardWeights
{
    /// <summary>
    /// The graph's model with every parameter read by name from <paramref name="weights"/>
    /// (F32, the shape the config gives) as an initializer instead of an input. A missing or
    /// mismatched tensor is an <see cref="InvalidDataException"/> naming the file and tensor.
    /// </summary>
    public static ModelProto Attach(ForwardGraph graph, SafeTensorsFile weights)
    {
        var model = graph.Model.Clone();
        foreach (var parameter in graph.Parameters)
        {
            var tensor = new TensorProto
            {
                Name = parameter.Name,
                DataType = (int)TensorProto.Types.DataType.Float,
                RawData = ByteString.CopyFrom(weights.ReadExpected(parameter.Name, "F32", parameter.Shape)),
            };
            tensor.Dims.AddRange(parameter.Shape);
            model.Graph.Initializer.Add(tensor);
        }

        var names = graph.Parameters.Select(p => p.Name).ToHashSet();
        foreach (var input in model.Graph.Input.Where(i => names.Contains(i.Name)).ToList())
        {
            model.Graph.Input.Remove(input);
        }

        return model;
    }
}
