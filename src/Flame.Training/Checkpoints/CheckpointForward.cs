using System.Text.Json;
using Flame.ModelGraphs.Builder;
using Flame.ModelGraphs.Config;
using Flame.ModelGraphs.Model;
using Flame.Onnx.Proto;
using Flame.Onnx.SafeTensors;
using Flame.Runtime;

namespace Flame.Training.Checkpoints;

/// <summary>
/// The forward graph of a checkpoint: built from the config in its state, with its weights
/// (read by name from weights.safetensors) as initializers, ready for evaluation, tracing or
/// export. One weight name in graph and checkpoint is all the glue there is.
/// </summary>
public static class CheckpointForward
{
    public static ModelProto Build(LoadedCheckpoint checkpoint, ForwardOptions? options = null)
    {
        var graph = FlameMoeModel.Build(ConfigOf(checkpoint), (options ?? new ForwardOptions()) with { Weights = WeightsAs.Inputs });
        using var weights = checkpoint.OpenWeights();
        var model = ForwardWeights.Attach(graph, weights);
        model.MetadataProps.Add(new StringStringEntryProto { Key = "flame.step", Value = checkpoint.State.Step.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        return model;
    }

    /// <summary>
    /// A session on the checkpoint's forward graph with the weights supplied by the session
    /// (<see cref="ModelSession.WithWeights"/>, <see cref="SuppliedWeights"/>) rather than embedded in it: no
    /// proto and serialized copies of them on the way to ORT, and no 2 GB protobuf limit, which
    /// a model of more than about 500M parameters exceeds.
    /// </summary>
    public static ModelSession OpenSession(LoadedCheckpoint checkpoint, SessionSettings settings, ForwardOptions? options = null)
    {
        var graph = FlameMoeModel.Build(ConfigOf(checkpoint), (options ?? new ForwardOptions()) with { Weights = WeightsAs.Inputs });
        Dictionary<string, Microsoft.ML.OnnxRuntime.OrtValue> weights;
        using (var file = checkpoint.OpenWeights())
        {
            weights = SuppliedWeights.Read(file, graph.Parameters.Select(p => (p.Name, p.Shape)));
        }

        return ModelSession.WithWeights(graph.Model, weights, settings);
    }

    /// <summary>The model config a checkpoint was saved with, validated.</summary>
    public static ModelConfig ConfigOf(LoadedCheckpoint checkpoint) =>
        (checkpoint.State.Config.Deserialize<ModelConfig>() ?? throw new InvalidDataException($"{checkpoint.Folder}: the state has no model config")).Validate();

    /// <summary>The weights of a freshly initialised model as checkpoint tensors (for a run's first checkpoint, and for tests).</summary>
    public static IReadOnlyList<SafeTensor> InitialWeights(ModelConfig config, ulong seed) =>
        FlameMoeModel.Build(config, new ForwardOptions(WeightsAs.Inputs)).Parameters
            .Select(p => SafeTensor.From(p.Name, WeightInitializer.Create(p, seed), p.Shape)).ToList();
}
