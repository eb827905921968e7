using Flame.Autodiff;
using Flame.ModelGraphs.Parallel;
using Flame.Onnx.Proto;

namespace Flame.Training.Parallel;

/// <summary>
/// A stage of the expert-parallel training step: its forward graph (null for the last stage,
/// whose backward graph computes the losses itself), its backward graph, and the names that
/// link it to the other stages.
/// </summary>
/// <param name="Backward">
/// Inputs: the forward inputs, the stage's parameters, each <c>{p}.grad.accumulated</c> and
/// <c>lazy_reset_grad</c>, and one seed <c>{y}.grad.{k}</c> per consumer k of each float output
/// y (the last stage: <c>loss_scale</c> and the targets instead). Outputs: <c>{p}.grad</c>
/// (accumulated as in training_model.onnx) and <c>{x}.grad</c> for each float input x that
/// another stage produced; the last stage also outputs the losses and expert loads.
/// </param>
public sealed record TrainingStage(ForwardStage Stage, ModelProto? Forward, ModelProto Backward, IReadOnlyList<SeededOutput> Seeds, IReadOnlyList<string> ActivationInputs)
{
    public static string InputGradient(string input) => input + ".grad";
}
