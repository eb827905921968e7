using Flame.Autodiff;
using Flame.ModelGraphs.Builder;
using Flame.ModelGraphs.Config;
using Flame.ModelGraphs.Model;
using Flame.Onnx.Proto;
using Flame.Training.Losses;
using DataType = Flame.Onnx.Proto.TensorProto.Types.DataType;

namespace Flame.Training.Artifacts;

/// <summary>
/// training_model.onnx, as ORT Training calls it: forward + losses + backward, in plain ONNX.
/// Inputs: input_ids, targets, every weight, and for gradient accumulation every
/// <c>{p}_grad.accumulated</c>, the scalar <c>loss_scale</c> (1 / micro-batches) and the boolean
/// <c>lazy_reset_grad</c> (true on a step's first micro-batch: the accumulator is ignored).
/// Outputs: loss, lm_loss, load_balancing_loss, z_loss, expert_load.{layer} and every
/// <c>{p}_grad</c> = (reset ? 0 : accumulated) + loss_scale · d loss / d p.
/// </summary>
public static class TrainingModel
{
    public const string LossScale = "loss_scale";
    public const string LazyResetGrad = "lazy_reset_grad";

    public static string Accumulated(string parameter) => parameter + "_grad.accumulated";

    public static ModelProto Build(ModelConfig config, LossSettings? losses = null, int opset = GraphBuilder.DefaultOpset)
    {
        if (config.CapacityFactor is not null)
        {
            throw new ArgumentException($"model config '{config.Name}': training with capacity_factor (token dropping) is not supported; the gradient of the dropping dispatch is not verified. Train dropless (the FLAME-MoE default) and set capacity_factor only for inference experiments.");
        }

        var eval = EvalModel.Build(config, new ForwardOptions(WeightsAs.Inputs, Opset: opset), losses);
        var parameters = FlameMoeModel.Build(config, new ForwardOptions(WeightsAs.Inputs, Opset: opset)).Parameters;
        var kept = new HashSet<string> { TrainingLosses.Loss, TrainingLosses.LanguageModelLoss, TrainingLosses.LoadBalancingLoss, TrainingLosses.ZLoss };
        var outputs = eval.Graph.Output.Where(o => kept.Contains(o.Name) || o.Name.StartsWith("expert_load.", StringComparison.Ordinal)).ToList();
        eval.Graph.Output.Clear();
        eval.Graph.Output.AddRange(outputs);

        var model = Differentiator.Differentiate(eval, new GradientRequest(TrainingLosses.Loss, parameters.Select(p => p.Name).ToList())
        {
            GradientName = p => p + "_grad.micro",
            SeedInput = LossScale,
        });
        model.Graph.Name = config.Name + "-training";

        // Accumulation: grad = Where(reset, micro, accumulated + micro).
        var graph = model.Graph;
        graph.Input.Add(Scalar(LazyResetGrad, DataType.Bool));
        foreach (var p in parameters)
        {
            var micro = p.Name + "_grad.micro";
            var info = graph.Output.Single(o => o.Name == micro);
            graph.Output.Remove(info);
            var accumulated = info.Clone();
            accumulated.Name = Accumulated(p.Name);
            graph.Input.Add(accumulated);
            var sum = Node("Add", [accumulated.Name, micro], p.Name + "_grad.sum");
            graph.Node.Add(sum);
            graph.Node.Add(Node("Where", [LazyResetGrad, micro, sum.Output[0]], p.Name + "_grad"));
            var output = info.Clone();
            output.Name = p.Name + "_grad";
            graph.Output.Add(output);
        }

        return model;
    }

    private static NodeProto Node(string op, string[] inputs, string output)
    {
        var node = new NodeProto { OpType = op, Name = "accumulate/" + output };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        return node;
    }

    private static ValueInfoProto Scalar(string name, DataType type) => new()
    {
        Name = name,
        Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = new TensorShapeProto() } },
    };
}
