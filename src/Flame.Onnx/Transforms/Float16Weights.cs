using Flame.Onnx.Proto;
using Flame.Onnx.Tensors;
using DataType = Flame.Onnx.Proto.TensorProto.Types.DataType;

namespace Flame.Onnx.Transforms;

/// <summary>
/// Stores a model's float32 initializers as float16 (half the file) and casts each back to
/// float32 where the graph reads it, so compute stays in float32 on every ONNX runtime (CPU
/// kernels for float16 are few). Rounding: float16 keeps 11 significant bits.
/// </summary>
public static class Float16Weights
{
    public static ModelProto Apply(ModelProto model)
    {
        var result = model.Clone();
        var graph = result.Graph;
        var casts = new List<NodeProto>();
        for (var i = 0; i < graph.Initializer.Count; i++)
        {
            var tensor = graph.Initializer[i];
            if (tensor.DataType != (int)DataType.Float)
            {
                continue;
            }

            var half = OnnxTensors.Create<Half>(tensor.Name + ".fp16", OnnxTensors.ToArray<float>(tensor).Select(v => (Half)v).ToArray(), [.. tensor.Dims]);
            graph.Initializer[i] = half;
            var cast = new NodeProto { OpType = "Cast", Name = "fp16_weights/" + tensor.Name };
            cast.Input.Add(half.Name);
            cast.Output.Add(tensor.Name);
            cast.Attribute.Add(new AttributeProto { Name = "to", Type = AttributeProto.Types.AttributeType.Int, I = (long)DataType.Float });
            casts.Add(cast);
        }

        var nodes = casts.Concat(graph.Node).ToList();
        graph.Node.Clear();
        graph.Node.AddRange(nodes);
        return result;
    }
}
