using Flame.Onnx.Proto;

namespace Flame.Autodiff.Graph;

/// <summary>Reading a node's attributes with ONNX's defaults.</summary>
public static class NodeAttributes
{
    public static AttributeProto? Find(this NodeProto node, string name) => node.Attribute.FirstOrDefault(a => a.Name == name);

    public static long Int(this NodeProto node, string name, long fallback) => node.Find(name) is { } a ? a.I : fallback;

    public static long[]? Ints(this NodeProto node, string name) => node.Find(name) is { } a ? [.. a.Ints] : null;

    public static string String(this NodeProto node, string name, string fallback) => node.Find(name) is { } a ? a.S.ToStringUtf8() : fallback;

    /// <summary>The node's name for error messages: its name, or its op type and first output.</summary>
    public static string Describe(this NodeProto node) =>
        $"{node.OpType} node '{(node.Name.Length > 0 ? node.Name : node.Output.FirstOrDefault() ?? "?")}'";
}
