using Flame.Onnx.Proto;
using Flame.Onnx.Tensors;
using Flame.Onnx.Models;
using DataType = Flame.Onnx.Proto.TensorProto.Types.DataType;

namespace Flame.Autodiff.Tests;

/// <summary>A tensor fed to a test graph: double or int64 data and its shape.</summary>
public sealed record TestTensor(Array Data, long[] Shape)
{
    public static TestTensor Random(Random random, params long[] shape) =>
        new(Enumerable.Range(0, (int)shape.Aggregate(1L, (n, d) => n * d)).Select(_ => random.NextDouble() * 2 - 1).ToArray(), shape);

    public static TestTensor Positive(Random random, params long[] shape) =>
        new(Enumerable.Range(0, (int)shape.Aggregate(1L, (n, d) => n * d)).Select(_ => 0.5 + random.NextDouble()).ToArray(), shape);

    public static TestTensor Ints(long[] values, params long[] shape) => new(values, shape);

    public DataType Type => Data is double[] ? DataType.Double : Data is long[] ? DataType.Int64 : DataType.Bool;
}

/// <summary>A small ONNX graph written node by node, for testing one rule at a time.</summary>
public sealed class TestGraph
{
    private readonly GraphProto _graph = new() { Name = "test" };

    /// <summary>Declares an input; dimensions given as symbols stay symbolic, as the model's batch does; "?" is a dimension nothing is known about.</summary>
    public TestGraph Input(string name, DataType type, params object[] dims)
    {
        var tensor = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = new TensorShapeProto() };
        foreach (var dim in dims)
        {
            tensor.Shape.Dim.Add(dim switch
            {
                "?" => new TensorShapeProto.Types.Dimension(),
                string symbol => new TensorShapeProto.Types.Dimension { DimParam = symbol },
                _ => new TensorShapeProto.Types.Dimension { DimValue = Convert.ToInt64(dim) },
            });
        }

        _graph.Input.Add(new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = tensor } });
        return this;
    }

    public TestGraph Ints(string name, params long[] values)
    {
        _graph.Initializer.Add(OnnxTensors.Create<long>(name, values, values.Length));
        return this;
    }

    public TestGraph Node(string op, string[] inputs, string[] outputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = $"{op}_{_graph.Node.Count}" };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        _graph.Node.Add(node);
        return this;
    }

    public static AttributeProto Int(string name, long value) => OnnxAttributes.Int(name, value);

    public static AttributeProto IntList(string name, params long[] values) => OnnxAttributes.Ints(name, values);

    public static AttributeProto Text(string name, string value) => OnnxAttributes.String(name, value);

    /// <summary>The model with <paramref name="output"/> (double) as its output.</summary>
    public ModelProto Build(string output = "y", int opset = 17)
    {
        var graph = _graph.Clone();
        graph.Output.Add(new ValueInfoProto { Name = output, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)DataType.Double } } });
        var model = new ModelProto { IrVersion = 8, Graph = graph, ProducerName = "flame-onnx-tests" };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
        return model;
    }
}
