using Flame.Autodiff.Shapes;
using Flame.Onnx.Proto;
using Flame.Onnx.Tensors;
using Flame.Onnx.Models;
using DataType = Flame.Onnx.Proto.TensorProto.Types.DataType;

namespace Flame.Autodiff.Graph;

/// <summary>
/// Appends standard ONNX nodes to a graph under construction, naming their outputs uniquely
/// and keeping <see cref="Infos"/> (types and symbolic shapes) up to date for everything emitted.
/// Constants are emitted once per value.
/// </summary>
public sealed class NodeEmitter(Dictionary<string, TensorInfo> infos, int opset, string prefix)
{
    private readonly Dictionary<string, string> _constants = [];
    private int _counter;

    public List<NodeProto> Nodes { get; } = [];

    public Dictionary<string, TensorInfo> Infos { get; } = infos;

    public int Opset { get; } = opset;

    /// <summary>Tags the names of the nodes emitted next (the forward node being differentiated).</summary>
    public string Scope { get; set; } = "";

    public TensorInfo Info(string value) => Infos.TryGetValue(value, out var info) ? info : throw new InvalidOperationException($"no type known for '{value}'");

    public string Node(string op, IReadOnlyList<string> inputs, params AttributeProto[] attributes) => Node(op, inputs, 1, attributes)[0];

    public string[] Node(string op, IReadOnlyList<string> inputs, int outputs, params AttributeProto[] attributes)
    {
        var id = _counter++;
        var node = new NodeProto { OpType = op, Name = $"{prefix}/{Scope}/{op}_{id}" };
        node.Input.AddRange(inputs);
        var names = Enumerable.Range(0, outputs).Select(i => $"{prefix}/{Scope}/{op}_{id}" + (outputs > 1 ? $":{i}" : "")).ToArray();
        node.Output.AddRange(names);
        node.Attribute.AddRange(attributes);
        Nodes.Add(node);
        ShapeInference.InferNode(node, Infos);
        return names;
    }

    /// <summary>A 1-D int64 constant.</summary>
    public string Ints(params long[] values) => Constant(OnnxTensors.Create<long>("", values, values.Length));

    /// <summary>A scalar int64 constant.</summary>
    public string Int64(long value) => Constant(OnnxTensors.Create<long>("", [value]));

    /// <summary>A scalar of the given floating-point type.</summary>
    public string Scalar(double value, DataType type) => Constant(type switch
    {
        DataType.Float => OnnxTensors.Create<float>("", [(float)value]),
        DataType.Double => OnnxTensors.Create<double>("", [value]),
        DataType.Float16 => OnnxTensors.Create<Half>("", [(Half)value]),
        _ => throw new NotSupportedException($"constants of type {type}"),
    });

    private string Constant(TensorProto tensor)
    {
        var key = $"{tensor.DataType}[{string.Join(",", tensor.Dims)}]{Convert.ToBase64String(OnnxTensors.ToBytes(tensor))}";
        if (!_constants.TryGetValue(key, out var name))
        {
            var attribute = new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor, T = tensor };
            var saved = Scope;
            Scope = "const";
            name = Node("Constant", [], attribute);
            Scope = saved;
            _constants[key] = name;
        }

        return name;
    }

    public string Add(string a, string b) => Node("Add", [a, b]);

    public string Sub(string a, string b) => Node("Sub", [a, b]);

    public string Mul(string a, string b) => Node("Mul", [a, b]);

    public string Div(string a, string b) => Node("Div", [a, b]);

    public string Neg(string x) => Node("Neg", [x]);

    public string Exp(string x) => Node("Exp", [x]);

    public string Shape(string x) => Node("Shape", [x]);

    public string Reshape(string x, string shape) => Node("Reshape", [x, shape]);

    public string ReshapeLike(string x, string like) => Reshape(x, Shape(like));

    public string Expand(string x, string shape) => Node("Expand", [x, shape]);

    public string Transpose(string x, params long[] perm) => Node("Transpose", [x], OnnxAttributes.Ints("perm", perm));

    public string Cast(string x, DataType to) => Node("Cast", [x], OnnxAttributes.Int("to", (long)to));

    public string Where(string condition, string a, string b) => Node("Where", [condition, a, b]);

    public string Unsqueeze(string x, params long[] axes) => Node("Unsqueeze", [x, Ints(axes)]);

    public string Concat(int axis, params string[] parts) => Node("Concat", parts, OnnxAttributes.Int("axis", axis));

    public string ReduceSum(string x, long[] axes, bool keepDims) => Node("ReduceSum", [x, Ints(axes)], OnnxAttributes.Int("keepdims", keepDims ? 1 : 0));

    /// <summary>Zeros with the shape and type of <paramref name="like"/>.</summary>
    public string ZerosLike(string like) => Node("ConstantOfShape", [Shape(like)], new AttributeProto
    {
        Name = "value",
        Type = AttributeProto.Types.AttributeType.Tensor,
        T = Zero(Info(like).Type),
    });

    private static TensorProto Zero(DataType type) => type switch
    {
        DataType.Float => OnnxTensors.Create<float>("", [0f], 1),
        DataType.Double => OnnxTensors.Create<double>("", [0.0], 1),
        DataType.Float16 => OnnxTensors.Create<Half>("", [(Half)0], 1),
        DataType.Int64 => OnnxTensors.Create<long>("", [0L], 1),
        _ => throw new NotSupportedException($"zeros of type {type}"),
    };
}
