using Flame.Onnx.Proto;
using Flame.Onnx.Tensors;

namespace Flame.Training.Optimization;

/// <summary>
/// A few lines of help for emitting small ONNX graphs node by node (the optimizer step):
/// fresh value names, scalar constants and typed inputs/outputs.
/// </summary>
internal sealed class OnnxGraphWriter(string name)
{
    private readonly GraphProto _graph = new() { Name = name };
    private int _next;

    public string Input(string inputName, TensorProto.Types.DataType type, long[]? shape = null)
    {
        _graph.Input.Add(ValueInfo(inputName, type, shape ?? []));
        return inputName;
    }

    public void Output(string value, string outputName, long[]? shape = null)
    {
        // Outputs get their public name through a final rename of the producing node's output.
        var producer = _graph.Node.Last(n => n.Output.Contains(value));
        producer.Output[producer.Output.IndexOf(value)] = outputName;
        foreach (var node in _graph.Node)
        {
            for (var i = 0; i < node.Input.Count; i++)
            {
                if (node.Input[i] == value)
                {
                    node.Input[i] = outputName;
                }
            }
        }

        _graph.Output.Add(ValueInfo(outputName, TensorProto.Types.DataType.Float, shape ?? []));
    }

    public string Constant(float value)
    {
        var output = $"const_{_next++}";
        _graph.Initializer.Add(OnnxTensors.Create(output, [value]));
        return output;
    }

    public string Op(string opType, IReadOnlyList<string> inputs, params (string Name, long Value)[] attributes)
    {
        var output = $"{opType.ToLowerInvariant()}_{_next++}";
        var node = new NodeProto { OpType = opType, Name = output };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        foreach (var (attribute, value) in attributes)
        {
            node.Attribute.Add(new AttributeProto { Name = attribute, Type = AttributeProto.Types.AttributeType.Int, I = value });
        }

        _graph.Node.Add(node);
        return output;
    }

    public ModelProto ToModel(int opset) => new()
    {
        IrVersion = 8,
        ProducerName = "flame-onnx",
        Graph = _graph,
        OpsetImport = { new OperatorSetIdProto { Domain = "", Version = opset } },
    };

    private static ValueInfoProto ValueInfo(string name, TensorProto.Types.DataType type, long[] shape)
    {
        var tensorShape = new TensorShapeProto();
        tensorShape.Dim.AddRange(shape.Select(d => new TensorShapeProto.Types.Dimension { DimValue = d }));
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = tensorShape } } };
    }
}
