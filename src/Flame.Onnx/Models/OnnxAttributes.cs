using Flame.Onnx.Proto;
using Google.Protobuf;

namespace Flame.Onnx.Models;

/// <summary>Node attributes by kind, for every graph writer (model builder, function bodies, autodiff).</summary>
public static class OnnxAttributes
{
    public static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto Ints(string name, params long[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values);
        return attribute;
    }

    public static AttributeProto String(string name, string value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };
}
