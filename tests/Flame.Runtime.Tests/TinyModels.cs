using Flame.Onnx.Proto;
using Google.Protobuf;

namespace Flame.Runtime.Tests;

/// <summary>Small ONNX models built directly from the protobuf classes, for binding tests.</summary>
internal static class TinyModels
{
    /// <summary>z = x + y, float tensors of shape [batch, 3] with a symbolic batch dimension.</summary>
    public static byte[] Add() => Model(
        [Node("Add", ["x", "y"], ["z"])],
        [Tensor("x", TensorProto.Types.DataType.Float, "batch", 3), Tensor("y", TensorProto.Types.DataType.Float, "batch", 3)],
        [Tensor("z", TensorProto.Types.DataType.Float, "batch", 3)]);

    /// <summary>y = x @ w with w [2, 2] as a graph input; double precision.</summary>
    public static byte[] MatMulDouble() => Model(
        [Node("MatMul", ["x", "w"], ["y"])],
        [Tensor("x", TensorProto.Types.DataType.Double, 2, 2), Tensor("w", TensorProto.Types.DataType.Double, 2, 2)],
        [Tensor("y", TensorProto.Types.DataType.Double, 2, 2)]);

    public static byte[] Model(IEnumerable<NodeProto> nodes, IEnumerable<ValueInfoProto> inputs, IEnumerable<ValueInfoProto> outputs)
    {
        var graph = new GraphProto { Name = "tiny" };
        graph.Node.AddRange(nodes);
        graph.Input.AddRange(inputs);
        graph.Output.AddRange(outputs);
        var model = new ModelProto { IrVersion = 8, Graph = graph, ProducerName = "flame-tests" };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });
        return model.ToByteArray();
    }

    public static NodeProto Node(string op, string[] inputs, string[] outputs)
    {
        var node = new NodeProto { OpType = op, Name = op.ToLowerInvariant() };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        return node;
    }

    public static ValueInfoProto Tensor(string name, TensorProto.Types.DataType type, params object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var dim in dims)
        {
            shape.Dim.Add(dim is string symbol ? new TensorShapeProto.Types.Dimension { DimParam = symbol } : new TensorShapeProto.Types.Dimension { DimValue = Convert.ToInt64(dim) });
        }

        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } } };
    }
}
