using Flame.Onnx.Models;
using Flame.Onnx.Proto;
using Flame.Onnx.Tensors;
using Google.Protobuf;

namespace Flame.ModelGraphs.Functions;

/// <summary>Writes the body of a model-local function node by node (values are plain names inside a function).</summary>
internal sealed class FunctionWriter
{
    private readonly FunctionProto _function;
    private int _next;

    public FunctionWriter(string name, string[] inputs, string[] outputs, string[] attributes, int opset, string doc)
    {
        _function = new FunctionProto { Name = name, Domain = Builder.GraphBuilder.FlameDomain, DocString = doc };
        _function.Input.AddRange(inputs);
        _function.Output.AddRange(outputs);
        _function.Attribute.AddRange(attributes);
        _function.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
    }

    /// <summary>Emits a node; its outputs are the given names, or one fresh name.</summary>
    public string[] Node(string op, string[] inputs, string[]? outputs = null, params AttributeProto[] attributes)
    {
        outputs ??= [$"t{_next++}"];
        var node = new NodeProto { OpType = op };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        _function.Node.Add(node);
        return outputs;
    }

    public string One(string op, string[] inputs, params AttributeProto[] attributes) => Node(op, inputs, null, attributes)[0];

    public string Into(string output, string op, string[] inputs, params AttributeProto[] attributes) => Node(op, inputs, [output], attributes)[0];

    public string ConstantInts(params long[] values)
    {
        var tensor = OnnxTensors.Create("value", values, values.Length);
        return One("Constant", [], new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor, T = tensor });
    }

    public string ConstantFloat(float value) =>
        One("Constant", [], new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor, T = OnnxTensors.Create("value", [value]) });

    /// <summary>A Constant whose int value is the caller's attribute <paramref name="attribute"/> (an attribute reference).</summary>
    public string ConstantFromAttribute(string attribute) =>
        One("Constant", [], new AttributeProto { Name = "value_int", RefAttrName = attribute, Type = AttributeProto.Types.AttributeType.Int });

    public FunctionProto Build() => _function;

    public static AttributeProto Int(string name, long value) => OnnxAttributes.Int(name, value);

    public static AttributeProto Ints(string name, params long[] values) => OnnxAttributes.Ints(name, values);

    public static AttributeProto String(string name, string value) => OnnxAttributes.String(name, value);
}
