using Flame.Onnx.Proto;
using Flame.Onnx.Tensors;
using DataType = Flame.Onnx.Proto.TensorProto.Types.DataType;

namespace Flame.Onnx.Transforms;

/// <summary>
/// Turns every float32 tensor of a graph into float64: declared types, initializers, constants,
/// ConstantOfShape fills and casts to float. Why: gradients are checked against finite
/// differences, which float32 rounding makes too noisy to tell a wrong rule from a right one.
/// Requires: a graph without model-local function calls (inline them first).
/// </summary>
public static class DoublePrecision
{
    public static ModelProto Convert(ModelProto model)
    {
        if (model.Functions.Count > 0)
        {
            throw new ArgumentException("inline the model's functions before converting it to double precision", nameof(model));
        }

        var result = model.Clone();
        var graph = result.Graph;
        foreach (var value in graph.Input.Concat(graph.Output).Concat(graph.ValueInfo))
        {
            if (value.Type?.TensorType is { ElemType: (int)DataType.Float } tensor)
            {
                tensor.ElemType = (int)DataType.Double;
            }
        }

        for (var i = 0; i < graph.Initializer.Count; i++)
        {
            graph.Initializer[i] = ToDouble(graph.Initializer[i]);
        }

        foreach (var node in graph.Node)
        {
            foreach (var attribute in node.Attribute)
            {
                if (attribute.T is { DataType: (int)DataType.Float })
                {
                    attribute.T = ToDouble(attribute.T);
                }
            }

            if (node.OpType == "Cast" && node.Attribute.FirstOrDefault(a => a.Name == "to") is { I: (long)DataType.Float } to)
            {
                to.I = (long)DataType.Double;
            }

            if (node.OpType == "ConstantOfShape" && !node.Attribute.Any(a => a.Name == "value"))
            {
                node.Attribute.Add(new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor, T = OnnxTensors.Create<double>("", [0.0], 1) });
            }

            if (node.OpType == "Constant" && node.Attribute.FirstOrDefault(a => a.Name is "value_float" or "value_floats") is { } floats)
            {
                var values = floats.Name == "value_float" ? [(double)floats.F] : floats.Floats.Select(f => (double)f).ToArray();
                node.Attribute.Remove(floats);
                node.Attribute.Add(new AttributeProto
                {
                    Name = "value",
                    Type = AttributeProto.Types.AttributeType.Tensor,
                    T = floats.Name == "value_float" ? OnnxTensors.Create<double>("", values) : OnnxTensors.Create<double>("", values, values.Length),
                });
            }
        }

        return result;
    }

    private static TensorProto ToDouble(TensorProto tensor) => tensor.DataType != (int)DataType.Float
        ? tensor
        : OnnxTensors.Create<double>(tensor.Name, OnnxTensors.ToArray<float>(tensor).Select(v => (double)v).ToArray(), [.. tensor.Dims]);
}
