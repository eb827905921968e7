using Flame.Onnx.Models;
using Flame.Onnx.Proto;
using DataType = Flame.Onnx.Proto.TensorProto.Types.DataType;

namespace Flame.Onnx.Transforms;

/// <summary>
/// Mixed precision as torch.autocast does it: matrix multiplies (MatMul, Gemm) compute in
/// float16 or bfloat16, their operands cast down where they are read and their results cast
/// back to float32; everything else (norms, softmax, the losses, the optimizer) and the weights
/// themselves stay float32 (the master copy). Multiplies reading a weight whose name matches
/// <paramref name="keepFloat32"/> stay float32: the router, as in Megatron, whose logits decide
/// the routing. Differentiating the result puts the backward multiplies in the same precision
/// (the gradient of a Cast is the Cast back). Expects model-local functions inlined.
/// </summary>
public static class Autocast
{
    public static readonly string[] ComputeTypes = ["fp32", "fp16", "bf16"];

    /// <summary>"fp32", "fp16" or "bf16" → the element type of the multiplies.</summary>
    public static DataType Parse(string precision) => precision switch
    {
        "fp32" => DataType.Float,
        "fp16" => DataType.Float16,
        "bf16" => DataType.Bfloat16,
        _ => throw new FormatException($"unknown precision '{precision}': use {string.Join(", ", ComputeTypes)}"),
    };

    public static ModelProto Apply(ModelProto model, DataType compute, Func<string, bool>? keepFloat32 = null)
    {
        if (compute == DataType.Float)
        {
            return model;
        }

        if (model.Functions.Count > 0)
        {
            throw new ArgumentException("Autocast expects model-local functions inlined (FunctionInliner.Inline)");
        }

        var suffix = compute == DataType.Float16 ? "fp16" : "bf16";
        var result = model.Clone();
        var graph = result.Graph;
        var casts = new Dictionary<string, string>();   // each value cast down once, however many multiplies read it
        var nodes = new List<NodeProto>();
        foreach (var node in graph.Node)
        {
            if (node.Domain is not ("" or "ai.onnx") || node.OpType is not ("MatMul" or "Gemm") || node.Input.Any(i => keepFloat32?.Invoke(i) == true))
            {
                nodes.Add(node);
                continue;
            }

            var low = node.Clone();
            for (var i = 0; i < low.Input.Count; i++)
            {
                var input = low.Input[i];
                if (input.Length == 0)
                {
                    continue;
                }

                if (!casts.TryGetValue(input, out var cast))
                {
                    cast = $"{input}.{suffix}";
                    nodes.Add(Cast(input, cast, compute));
                    casts[input] = cast;
                }

                low.Input[i] = cast;
            }

            var output = low.Output[0];
            low.Output[0] = $"{output}.{suffix}";
            nodes.Add(low);
            nodes.Add(Cast(low.Output[0], output, DataType.Float));
        }

        graph.Node.Clear();
        graph.Node.AddRange(nodes);
        return result;
    }

    private static NodeProto Cast(string input, string output, DataType to)
    {
        var node = new NodeProto { OpType = "Cast", Name = "autocast/" + output };
        node.Input.Add(input);
        node.Output.Add(output);
        node.Attribute.Add(OnnxAttributes.Int("to", (long)to));
        return node;
    }
}
