using Flame.ModelGraphs.Builder;
using Flame.ModelGraphs.Config;
using Flame.ModelGraphs.Model;
using Flame.Onnx.Proto;
using Flame.Training.Losses;

namespace Flame.Training.Artifacts;

/// <summary>
/// eval_model.onnx, as ORT Training calls it: the forward graph plus the training losses
/// (inputs input_ids and targets; outputs loss, lm_loss, load_balancing_loss, z_loss, the
/// logits and the routing). Weights are graph inputs, bound by name like in training.
/// </summary>
public static class EvalModel
{
    public static ModelProto Build(ModelConfig config, ForwardOptions? options = null, LossSettings? losses = null)
    {
        options ??= new ForwardOptions(WeightsAs.Inputs);
        var g = new GraphBuilder(config.Name + "-eval", options.Opset);
        var forward = FlameMoeModel.Define(g, config);
        TrainingLosses.Append(g, config, forward.Logits, forward.Routing.Select(r => (r.Layer, r.RouterLogits, r.TopKIndices)).ToList(), losses);
        return g.ToModel(options.Weights, options.Seed, new Dictionary<string, string> { ["flame.config"] = ModelConfigs.ToJson(config) });
    }
}
