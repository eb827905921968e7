using Flame.ModelGraphs.Builder;
using Flame.ModelGraphs.Parallel;
using Flame.Onnx.IO;
using Flame.Runtime;
using Flame.Training.Artifacts;
using Flame.Training.Loop;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;

namespace Flame.Training.Parallel;

/// <summary>
/// The gradient step with experts sharded (expert parallelism): each stage of
/// <see cref="ExpertParallelTraining"/> runs in its own sessions, the trunk's and each expert
/// shard's. Forward: the stages in order, each one's outputs kept (on its device) for the next
/// ones. Backward: the stages in reverse, each fed the gradients of its outputs from the stages
/// that consumed them. A shard binds its rows of the expert weights and gradients where a
/// <see cref="ParameterHome"/> keeps them: its own tensors when shards have homes of their own,
/// else views of the whole stacked tensors (nothing copied).
/// </summary>
internal sealed class ExpertParallelStep : IGradientStep
{
    private sealed record Sessions(TrainingStage Graphs, ModelSession? Forward, ModelSession Backward, OrtMemoryInfo Memory);

    private readonly List<Sessions> _stages = [];
    private readonly StepTensors _step;

    /// <param name="shardSettings">The settings (device) of shard s's sessions; the trunk uses <paramref name="settings"/>.</param>
    /// <param name="graphsFolder">Where each stage's forward and backward graph is also written (stage.forward.onnx, stage.backward.onnx), for inspection.</param>
    public ExpertParallelStep(IReadOnlyList<TrainingStage> stages, StepTensors step, SessionSettings settings, Func<int, SessionSettings>? shardSettings = null, string? graphsFolder = null)
    {
        if (graphsFolder is not null)
        {
            Directory.CreateDirectory(graphsFolder);
        }

        _step = step;
        foreach (var stage in stages)
        {
            var stageSettings = stage.Stage.IsExpertShard && shardSettings is not null ? shardSettings(stage.Stage.Shard) : settings;
            if (stageSettings.ProfilingPrefix is { } prefix)
            {
                stageSettings = stageSettings with { ProfilingPrefix = $"{prefix}-{stage.Stage.Name}" };   // one file per session
            }

            var forward = stage.Forward?.ToByteArray();
            var backward = stage.Backward.ToByteArray();
            if (graphsFolder is not null)
            {
                if (forward is not null)
                {
                    AtomicFile.WriteAllBytes(Path.Combine(graphsFolder, stage.Stage.Name + ".forward.onnx"), forward);
                }

                AtomicFile.WriteAllBytes(Path.Combine(graphsFolder, stage.Stage.Name + ".backward.onnx"), backward);
            }

            _stages.Add(new Sessions(stage, forward is null ? null : new ModelSession(forward, stageSettings),
                new ModelSession(backward, stageSettings), DeviceMemories.For(stageSettings.Device)));
        }
    }

    public void Run(IReadOnlyList<ParameterHome> homes)
    {
        var owned = new List<IDisposable>();
        try
        {
            var values = new Dictionary<string, OrtValue>(_step.Inputs);
            foreach (var stage in _stages.Where(s => s.Forward is not null))
            {
                using var binding = stage.Forward!.CreateIoBinding();
                foreach (var input in stage.Forward.Inputs)
                {
                    binding.BindInput(input.Name, ParameterView(homes, input.Name, stage.Graphs.Stage, h => h.Weights.Current, owned) ?? values[input.Name]);
                }

                foreach (var output in stage.Forward.Outputs)
                {
                    binding.BindOutputToDevice(output.Name, stage.Memory);
                }

                stage.Forward.Run(binding);
                var results = RunResults.Of(binding);
                owned.Add(results);
                foreach (var name in results.Names)
                {
                    values[name] = results[name];
                }
            }

            // Gradients flowing back into each stage output, one per consumer.
            var seeds = new Dictionary<string, List<OrtValue>>();
            var stepOutputs = _step.Outputs;
            foreach (var stage in Enumerable.Reverse(_stages))
            {
                var seedInputs = stage.Graphs.Seeds.SelectMany(o => Enumerable.Range(0, o.Seeds).Select(k => (o.Seed(k), seeds[o.Name][k]))).ToDictionary(t => t.Item1, t => t.Item2);
                using var binding = stage.Backward.CreateIoBinding();
                foreach (var input in stage.Backward.Inputs)
                {
                    var value = ParameterView(homes, input.Name, stage.Graphs.Stage, h => h.Weights.Current, owned)
                        ?? (GradientAccumulation.OfAccumulated(input.Name) is { } accumulated ? ParameterView(homes, accumulated, stage.Graphs.Stage, h => h.Gradients.Current, owned) : null)
                        ?? (seedInputs.TryGetValue(input.Name, out var seed) ? seed : values[input.Name]);
                    binding.BindInput(input.Name, value);
                }

                foreach (var output in stage.Backward.Outputs)
                {
                    var target = GradientAccumulation.OfGradient(output.Name) is { } parameter ? ParameterView(homes, parameter, stage.Graphs.Stage, h => h.Gradients.Next, owned) : null;
                    target ??= stepOutputs.TryGetValue(output.Name, out var stepOutput) ? stepOutput : null;
                    if (target is null)
                    {
                        binding.BindOutputToDevice(output.Name, stage.Memory);
                    }
                    else
                    {
                        binding.BindOutput(output.Name, target);
                    }
                }

                stage.Backward.Run(binding);
                var results = RunResults.Of(binding);
                owned.Add(results);
                foreach (var input in stage.Graphs.ActivationInputs)
                {
                    (seeds.TryGetValue(input, out var list) ? list : seeds[input] = []).Add(results[TrainingStage.InputGradient(input)]);
                }
            }
        }
        finally
        {
            foreach (var value in Enumerable.Reverse(owned))
            {
                value.Dispose();
            }
        }
    }

    /// <summary>
    /// The stage's rows of parameter <paramref name="name"/> among the homes' tensors (weights or
    /// gradients): the piece itself where a home holds exactly those rows, else a view of the
    /// piece that holds them; null when the name is not one of the stage's parameters.
    /// </summary>
    private static OrtValue? ParameterView(IReadOnlyList<ParameterHome> homes, string name, ForwardStage stage, Func<ParameterHome, Func<int, OrtValue>> tensors, List<IDisposable> owned)
    {
        var wanted = stage.Parameters.FirstOrDefault(p => p.Name == name);
        if (wanted is null)
        {
            return null;
        }

        foreach (var home in homes)
        {
            foreach (var (piece, slot) in home.Pieces.Select((p, i) => (p, i)).Where(t => t.p.Name == name))
            {
                var offset = wanted.FirstRow - piece.FirstRow;
                if (offset < 0 || offset + wanted.Shape[0] > piece.Shape[0])
                {
                    continue;
                }

                var tensor = tensors(home)(slot);
                if (offset == 0 && wanted.Shape[0] == piece.Shape[0])
                {
                    return tensor;
                }

                var view = tensor.Rows(offset, wanted.Shape[0]);
                owned.Add(view);
                return view;
            }
        }

        throw new InvalidOperationException($"no home holds rows [{wanted.FirstRow}, {wanted.FirstRow + wanted.Shape[0]}) of {name}");
    }

    public IReadOnlyList<string> EndProfiling() =>
        [.. _stages.SelectMany(s => new[] { s.Forward, s.Backward }).OfType<ModelSession>().Where(s => s.Settings.ProfilingPrefix is not null).Select(s => s.EndProfiling())];

    public void Dispose()
    {
        foreach (var stage in _stages)
        {
            stage.Forward?.Dispose();
            stage.Backward.Dispose();
            stage.Memory.Dispose();
        }
    }
}
