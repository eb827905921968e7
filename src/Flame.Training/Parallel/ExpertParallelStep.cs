using Flame.ModelGraphs.Builder;
using Flame.ModelGraphs.Parallel;
using Flame.Onnx.IO;
using Flame.Runtime;
using Flame.Training.Artifacts;
using Flame.Training.Distributed;
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
/// else views of the whole stacked tensors (nothing copied). With an <see cref="ExpertExchange"/>
/// the shards live on different ranks: this process runs the trunk and its own shard, and the
/// exchange moves tokens to the shards and results back.
/// </summary>
internal sealed class ExpertParallelStep : IGradientStep
{
    /// <summary>A stage's sessions; null for a shard another rank runs.</summary>
    internal sealed record Sessions(TrainingStage Graphs, ModelSession? Forward, ModelSession Backward, OrtMemoryInfo Memory);

    private readonly List<Sessions> _stages = [];
    private readonly StepTensors _step;
    private readonly ExpertExchange? _exchange;
    private readonly OrtValue _noReset = OrtValue.FromArray(new[] { false });

    /// <param name="shardSettings">The settings (device) of shard s's sessions; the trunk uses <paramref name="settings"/>.</param>
    /// <param name="graphsFolder">Where each stage's forward and backward graph is also written (stage.forward.onnx, stage.backward.onnx), for inspection.</param>
    /// <param name="exchange">With the shards spread over ranks: the exchange with the others (this process runs shard <see cref="ExpertExchange.Shard"/> only).</param>
    public ExpertParallelStep(IReadOnlyList<TrainingStage> stages, StepTensors step, SessionSettings settings, Func<int, SessionSettings>? shardSettings = null, string? graphsFolder = null, ExpertExchange? exchange = null)
    {
        if (graphsFolder is not null)
        {
            Directory.CreateDirectory(graphsFolder);
        }

        _step = step;
        _exchange = exchange;
        foreach (var stage in stages.Where(s => exchange is null || !s.Stage.IsExpertShard || s.Stage.Shard == exchange.Shard))
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
                if (_exchange is not null && stage.Graphs.Stage.IsExpertShard)
                {
                    _exchange.Forward(stage.Graphs.Stage.Layer, values, owned, inputs => Forward(stage, homes, name => inputs(name) ?? values[name], owned));
                    continue;
                }

                var results = Forward(stage, homes, name => values[name], owned);
                foreach (var name in results.Names)
                {
                    values[name] = results[name];
                }
            }

            // Gradients flowing back into each stage output, one per consumer.
            var seeds = new Dictionary<string, List<OrtValue>>();
            foreach (var stage in Enumerable.Reverse(_stages))
            {
                if (_exchange is not null && stage.Graphs.Stage.IsExpertShard)
                {
                    // One backward run per source rank, accumulating in rank order: the first onto the step's accumulators.
                    _exchange.Backward(stage.Graphs.Stage.Layer, stage.Graphs.Seeds.Single().Seed(0), seeds, owned, (inputs, first) =>
                        Backward(stage, homes, name => name == GradientAccumulation.LazyResetGrad && !first ? _noReset : inputs(name) ?? values[name], first ? h => h.Gradients.Current : h => h.Gradients.Next, owned));
                    continue;
                }

                var seedInputs = stage.Graphs.Seeds.SelectMany(o => Enumerable.Range(0, o.Seeds).Select(k => (o.Seed(k), seeds[o.Name][k]))).ToDictionary(t => t.Item1, t => t.Item2);
                var results = Backward(stage, homes, name => seedInputs.TryGetValue(name, out var seed) ? seed : values[name], h => h.Gradients.Current, owned);
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

    private RunResults Forward(Sessions stage, IReadOnlyList<ParameterHome> homes, Func<string, OrtValue> input, List<IDisposable> owned)
    {
        using var binding = stage.Forward!.CreateIoBinding();
        foreach (var name in stage.Forward.Inputs.Select(i => i.Name))
        {
            binding.BindInput(name, ParameterView(homes, name, stage.Graphs.Stage, h => h.Weights.Current, owned) ?? input(name));
        }

        foreach (var output in stage.Forward.Outputs)
        {
            BindToDevice(binding, stage, output.Name);
        }

        stage.Forward.Run(binding);
        var results = RunResults.Of(binding);
        owned.Add(results);
        return results;
    }

    /// <summary>
    /// One run of a stage's backward graph: gradients of its parameters accumulated onto
    /// <paramref name="accumulateOnto"/> (the step's accumulators, or what an earlier run of
    /// this step wrote) into <c>Gradients.Next</c>.
    /// </summary>
    private RunResults Backward(Sessions stage, IReadOnlyList<ParameterHome> homes, Func<string, OrtValue> input, Func<ParameterHome, Func<int, OrtValue>> accumulateOnto, List<IDisposable> owned)
    {
        using var binding = stage.Backward.CreateIoBinding();
        foreach (var name in stage.Backward.Inputs.Select(i => i.Name))
        {
            var value = ParameterView(homes, name, stage.Graphs.Stage, h => h.Weights.Current, owned)
                ?? (GradientAccumulation.OfAccumulated(name) is { } accumulated ? ParameterView(homes, accumulated, stage.Graphs.Stage, accumulateOnto, owned) : null)
                ?? input(name);
            binding.BindInput(name, value);
        }

        var stepOutputs = _step.Outputs;
        foreach (var output in stage.Backward.Outputs)
        {
            var target = GradientAccumulation.OfGradient(output.Name) is { } parameter ? ParameterView(homes, parameter, stage.Graphs.Stage, h => h.Gradients.Next, owned) : null;
            target ??= stepOutputs.TryGetValue(output.Name, out var stepOutput) ? stepOutput : null;
            if (target is null)
            {
                BindToDevice(binding, stage, output.Name);
            }
            else
            {
                binding.BindOutput(output.Name, target);
            }
        }

        stage.Backward.Run(binding);
        var results = RunResults.Of(binding);
        owned.Add(results);
        return results;
    }

    // What the exchange sends between ranks comes out in host memory (MPI here is not assumed CUDA-aware); the rest stays on the stage's device.
    private void BindToDevice(OrtIoBinding binding, Sessions stage, string output)
    {
        if (_exchange?.IsExchanged(output) == true)
        {
            binding.BindOutputToDevice(output, OrtMemoryInfo.DefaultInstance);
        }
        else
        {
            binding.BindOutputToDevice(output, stage.Memory);
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

        _noReset.Dispose();
    }
}
