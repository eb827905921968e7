using Flame.Autodiff.Graph;
using Flame.Autodiff.Gradients;
using Flame.Autodiff.Shapes;
using Flame.Onnx.Proto;
using DataType = Flame.Onnx.Proto.TensorProto.Types.DataType;

namespace Flame.Autodiff;

/// <summary>How to differentiate: what, with respect to what, and how the gradients are named.</summary>
public sealed record GradientRequest(string Loss, IReadOnlyList<string> Wrt)
{
    /// <summary>The name of the gradient output of <paramref name="wrt"/>.</summary>
    public Func<string, string> GradientName { get; init; } = wrt => wrt + ".grad";

    /// <summary>
    /// A scalar graph input that seeds the backward pass instead of 1 (dLoss · seed): the
    /// scale of a micro-batch in an accumulated batch, or the loss scale of fp16 training.
    /// Added to the graph's inputs as a float scalar when the graph does not have it.
    /// </summary>
    public string? SeedInput { get; init; }

    /// <summary>
    /// Forward nodes whose values the backward pass recomputes where it needs them instead of
    /// keeping them from the forward pass (activation checkpointing, <see cref="Recomputation"/>).
    /// </summary>
    public Func<NodeProto, bool>? Recompute { get; init; }
}

/// <summary>
/// Reverse-mode automatic differentiation of an ONNX graph: appends to the forward graph (its
/// model-local functions inlined first) the nodes that compute d loss / d w for every requested
/// w, in standard ONNX ops, and adds those gradients as outputs. Only nodes on a path from a
/// requested input to the loss are differentiated; integer and boolean values carry no gradient.
/// An op on such a path without a rule fails with an <see cref="AutodiffException"/> naming it.
/// </summary>
public static class Differentiator
{
    public static ModelProto Differentiate(ModelProto forward, GradientRequest request)
    {
        var model = Flame.Onnx.Transforms.FunctionInliner.Inline(forward);
        var graph = model.Graph;
        var opset = (int)(model.OpsetImport.FirstOrDefault(o => o.Domain is "" or "ai.onnx")?.Version ?? 0);
        if (opset < 13)
        {
            throw new AutodiffException($"the autodiff needs ai.onnx opset 13 or later; the model imports {opset}");
        }

        if (request.SeedInput is { } seedName && !graph.Input.Any(i => i.Name == seedName))
        {
            graph.Input.Add(ValueInfo(seedName, new TensorInfo(DataType.Float, [])));   // a float scalar the caller feeds
        }

        var infos = ShapeInference.Infer(graph);
        var inputs = graph.Input.Select(i => i.Name).Concat(graph.Initializer.Select(t => t.Name)).ToHashSet();
        foreach (var name in request.Wrt.Where(w => !inputs.Contains(w)))
        {
            throw new AutodiffException($"'{name}' is not an input or initializer of graph '{graph.Name}'");
        }

        if (!graph.Output.Any(o => o.Name == request.Loss) && !graph.Node.Any(n => n.Output.Contains(request.Loss)))
        {
            throw new AutodiffException($"the loss '{request.Loss}' is not a value of graph '{graph.Name}'");
        }

        var active = ActiveValues(graph, request, infos);
        var emit = new NodeEmitter(infos, opset, "grad");
        var gradients = new Dictionary<string, List<string>>();

        emit.Scope = "seed";
        var lossType = infos[request.Loss].Type;
        var seed = request.SeedInput is { } seedInput ? CastTo(emit, seedInput, lossType) : emit.Scalar(1, lossType);
        gradients[request.Loss] = [emit.ReshapeLike(seed, request.Loss)];

        foreach (var node in Enumerable.Reverse(graph.Node))
        {
            var outputGradients = node.Output.Select(o => gradients.ContainsKey(o) ? Total(emit, gradients, o) : null).ToArray();
            var needs = node.Input.Select(i => i.Length > 0 && active.Contains(i)).ToArray();
            if (outputGradients.All(g => g is null) || !needs.Any(n => n))
            {
                continue;
            }

            if (GradientRules.HasNoGradient(node.OpType))
            {
                continue;
            }

            if (!GradientRules.TryGet(node.OpType, out var rule))
            {
                throw new AutodiffException($"no gradient rule for op {node.OpType} ({node.Describe()}); ops with rules: {string.Join(", ", GradientRules.Differentiable.Order())}");
            }

            emit.Scope = node.Name.Length > 0 ? node.Name : node.Output[0];
            var context = new GradientContext(node, emit, outputGradients, needs);
            rule(context);
            for (var i = 0; i < node.Input.Count; i++)
            {
                if (context.InputGradients[i] is { } gradient)
                {
                    (gradients.TryGetValue(node.Input[i], out var list) ? list : gradients[node.Input[i]] = []).Add(gradient);
                }
            }
        }

        emit.Scope = "out";
        var outputs = new List<NodeProto>();
        foreach (var wrt in request.Wrt)
        {
            var gradient = gradients.ContainsKey(wrt) ? Total(emit, gradients, wrt) : emit.ZerosLike(wrt);
            var identity = new NodeProto { OpType = "Identity", Name = "grad/out/" + wrt };
            identity.Input.Add(gradient);
            identity.Output.Add(request.GradientName(wrt));
            outputs.Add(identity);
        }

        var result = model.Clone();
        result.Graph.Output.AddRange(request.Wrt.Select(w => ValueInfo(request.GradientName(w), infos[w])));
        var backward = Needed(emit.Nodes.Concat(outputs).ToList(), result.Graph.Output.Select(o => o.Name));
        result.Graph.Node.AddRange(request.Recompute is { } recompute ? Recomputation.Rewrite([.. result.Graph.Node], backward, recompute) : backward);
        return result;
    }

    /// <summary>The emitted nodes some output depends on, in order (a fused rule can leave a generic rule's nodes unused).</summary>
    private static List<NodeProto> Needed(List<NodeProto> emitted, IEnumerable<string> outputs)
    {
        var needed = outputs.ToHashSet();
        var kept = new List<NodeProto>();
        for (var i = emitted.Count - 1; i >= 0; i--)
        {
            if (emitted[i].Output.Any(needed.Contains))
            {
                kept.Add(emitted[i]);
                needed.UnionWith(emitted[i].Input);
            }
        }

        kept.Reverse();
        return kept;
    }

    /// <summary>The float values on a path from a requested input to the loss.</summary>
    private static HashSet<string> ActiveValues(GraphProto graph, GradientRequest request, Dictionary<string, TensorInfo> infos)
    {
        var fromWrt = request.Wrt.ToHashSet();
        foreach (var node in graph.Node)
        {
            if (node.Input.Any(fromWrt.Contains))
            {
                foreach (var output in node.Output.Where(o => o.Length > 0 && infos.TryGetValue(o, out var info) && info.IsFloatingPoint))
                {
                    fromWrt.Add(output);
                }
            }
        }

        var toLoss = new HashSet<string> { request.Loss };
        foreach (var node in Enumerable.Reverse(graph.Node))
        {
            if (node.Output.Any(toLoss.Contains))
            {
                toLoss.UnionWith(node.Input.Where(i => i.Length > 0));
            }
        }

        fromWrt.IntersectWith(toLoss);
        return fromWrt;
    }

    /// <summary>The sum of all contributions to a value's gradient (one Sum node when there are several).</summary>
    private static string Total(NodeEmitter emit, Dictionary<string, List<string>> gradients, string value)
    {
        var parts = gradients[value];
        if (parts.Count > 1)
        {
            var saved = emit.Scope;
            emit.Scope = "accumulate";
            var sum = emit.Node("Sum", parts);
            emit.Scope = saved;
            parts.Clear();
            parts.Add(sum);
        }

        return parts[0];
    }

    private static string CastTo(NodeEmitter emit, string value, DataType type) => emit.Info(value).Type == type ? value : emit.Cast(value, type);

    internal static ValueInfoProto ValueInfo(string name, TensorInfo info)
    {
        var tensor = new TypeProto.Types.Tensor { ElemType = (int)info.Type, Shape = new TensorShapeProto() };
        foreach (var dim in info.Shape ?? [])
        {
            tensor.Shape.Dim.Add(dim.IsKnown ? new TensorShapeProto.Types.Dimension { DimValue = dim.Size }
                : dim.Symbol is { } symbol ? new TensorShapeProto.Types.Dimension { DimParam = symbol } : new TensorShapeProto.Types.Dimension());
        }

        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = tensor } };
    }
}
