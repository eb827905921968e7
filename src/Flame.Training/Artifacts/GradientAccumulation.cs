using Flame.Onnx.Proto;
using DataType = Flame.Onnx.Proto.TensorProto.Types.DataType;

namespace Flame.Training.Artifacts;

/// <summary>
/// Gradient accumulation inside a backward graph: each <c>{p}.grad.micro</c> output becomes
/// <c>{p}.grad</c> = (lazy_reset_grad ? 0 : {p}.grad.accumulated) + {p}.grad.micro, so the
/// accumulator is a bound tensor that the graph reads and rewrites (ORT Training's convention).
/// </summary>
public static class GradientAccumulation
{
    public const string LazyResetGrad = "lazy_reset_grad";

    private const string AccumulatedSuffix = ".grad.accumulated";
    private const string GradientSuffix = ".grad";

    public static string Micro(string parameter) => parameter + ".grad.micro";

    public static string Accumulated(string parameter) => parameter + AccumulatedSuffix;

    public static string Gradient(string parameter) => parameter + GradientSuffix;

    /// <summary>The parameter whose accumulator input <paramref name="name"/> is, or null.</summary>
    public static string? OfAccumulated(string name) => name.EndsWith(AccumulatedSuffix, StringComparison.Ordinal) ? name[..^AccumulatedSuffix.Length] : null;

    /// <summary>The parameter whose gradient output <paramref name="name"/> may be ("{p}.grad"), or null.</summary>
    public static string? OfGradient(string name) => name.EndsWith(GradientSuffix, StringComparison.Ordinal) ? name[..^GradientSuffix.Length] : null;

    public static void Add(ModelProto model, IEnumerable<string> parameters)
    {
        var graph = model.Graph;
        if (!graph.Input.Any(i => i.Name == LazyResetGrad))
        {
            graph.Input.Add(new ValueInfoProto
            {
                Name = LazyResetGrad,
                Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)DataType.Bool, Shape = new TensorShapeProto() } },
            });
        }

        foreach (var parameter in parameters)
        {
            var micro = Micro(parameter);
            var info = graph.Output.Single(o => o.Name == micro);
            graph.Output.Remove(info);
            var accumulated = info.Clone();
            accumulated.Name = Accumulated(parameter);
            graph.Input.Add(accumulated);
            var sum = Node("Add", [accumulated.Name, micro], parameter + ".grad.sum");
            graph.Node.Add(sum);
            graph.Node.Add(Node("Where", [LazyResetGrad, micro, sum.Output[0]], Gradient(parameter)));
            var output = info.Clone();
            output.Name = Gradient(parameter);
            graph.Output.Add(output);
        }
    }

    private static NodeProto Node(string op, string[] inputs, string output)
    {
        var node = new NodeProto { OpType = op, Name = "accumulate/" + output };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        return node;
    }
}
