using Flame.ModelGraphs.Builder;
using Flame.ModelGraphs.Config;
using Flame.ModelGraphs.Model;
using Flame.ModelGraphs.Parallel;
using Flame.Onnx.Transforms;
using Flame.Runtime;
using Flame.Training.Checkpoints;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Flame.Training.Parallel;

/// <summary>
/// The forward pass with experts sharded (<see cref="ExpertParallelGraphs"/>), for evaluation and
/// tracing: each stage in its own session on its device (a shard's may be its own), run in
/// order, each holding its own rows of the weights in that device's memory. From outside it
/// is one model: input_ids in; logits and every MoE layer's router_logits, topk_weights and
/// topk_indices out, as the whole forward graph has them.
/// </summary>
public sealed class ExpertParallelForward : IModelRunner
{
    private sealed record Stage(ModelSession Session, Dictionary<string, OrtValue> Weights);

    private readonly Dictionary<ExecutionDevice, DeviceMemory> _memories = [];
    private readonly List<OrtValue> _tensors = [];
    private readonly List<Stage> _stages = [];

    /// <param name="weight">The values of each parameter (float32, the model's shapes), by name.</param>
    /// <param name="shardDevices">The device of each shard (its rows of the expert weights are copied there); null: every stage on the settings' device.</param>
    public ExpertParallelForward(ModelConfig config, int shards, Func<string, long[], ReadOnlySpan<float>> weight, SessionSettings? settings = null, IReadOnlyList<ExecutionDevice>? shardDevices = null)
    {
        settings ??= SessionSettings.Default;
        if (shardDevices is not null && shardDevices.Count != shards)
        {
            throw new ArgumentException($"{shardDevices.Count} expert devices for {shards} shards");
        }

        var stages = ExpertParallelGraphs.Build(config, shards);
        var devices = stages.Select(s => s.IsExpertShard && shardDevices is not null ? shardDevices[s.Shard] : settings.Device).ToList();
        var weights = stages.Select(_ => new Dictionary<string, OrtValue>()).ToList();

        // Each parameter read once, its rows copied to every stage that holds some (a shard's experts), in that stage's device memory.
        foreach (var parameter in FlameMoeModel.Build(config, new ForwardOptions(WeightsAs.Inputs)).Parameters)
        {
            var values = weight(parameter.Name, parameter.Shape);
            var row = parameter.Shape.Skip(1).Aggregate(1L, (n, d) => n * d);
            for (var k = 0; k < stages.Count; k++)
            {
                if (stages[k].Parameters.FirstOrDefault(p => p.Name == parameter.Name) is not { } piece)
                {
                    continue;
                }

                var memory = MemoryOf(devices[k]);
                var tensor = memory.Allocate(TensorElementType.Float, piece.Shape);
                _tensors.Add(tensor);
                memory.Upload(values.Slice(checked((int)(piece.FirstRow * row)), checked((int)(piece.Shape[0] * row))), tensor);
                weights[k][piece.Name] = tensor;
            }
        }

        for (var k = 0; k < stages.Count; k++)
        {
            _stages.Add(new Stage(new ModelSession(FunctionInliner.Inline(stages[k].Model).ToByteArray(), settings with { Device = devices[k] }), weights[k]));
        }

        Outputs = [.. _stages.SelectMany(s => s.Session.Outputs).Where(o => !ExpertParallelGraphs.IsBoundary(o.Name))];
    }

    private DeviceMemory MemoryOf(ExecutionDevice device)
    {
        if (!_memories.TryGetValue(device, out var memory))
        {
            memory = DeviceMemory.For(device);
            _memories[device] = memory;
        }

        return memory;
    }

    /// <summary>A checkpoint's model, sharded.</summary>
    public static ExpertParallelForward Open(LoadedCheckpoint checkpoint, int shards, SessionSettings? settings = null, IReadOnlyList<ExecutionDevice>? shardDevices = null)
    {
        using var weights = checkpoint.OpenWeights();
        return new ExpertParallelForward(CheckpointForward.ConfigOf(checkpoint), shards,
            (name, shape) => System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(weights.ReadExpected(name, "F32", shape)), settings, shardDevices);
    }

    public IReadOnlyList<SessionTensorInfo> Outputs { get; }

    public RunResults Run(IReadOnlyDictionary<string, OrtValue> inputs, IReadOnlyList<string>? outputNames = null, RunOptions? options = null)
    {
        var names = outputNames ?? [.. Outputs.Select(o => o.Name)];
        var values = new Dictionary<string, OrtValue>(inputs);
        var produced = new List<RunResults>();
        try
        {
            foreach (var stage in _stages)
            {
                var feed = stage.Session.Inputs.ToDictionary(i => i.Name, i => stage.Weights.TryGetValue(i.Name, out var w) ? w : values[i.Name]);
                var results = stage.Session.Run(feed, options: options);
                produced.Add(results);
                foreach (var name in results.Names)
                {
                    values[name] = results[name];
                }
            }

            // Hand the asked-for outputs over; dispose the rest.
            var kept = names.Select(n => values.TryGetValue(n, out var v) && !ExpertParallelGraphs.IsBoundary(n) ? v : throw new KeyNotFoundException($"the model has no output '{n}'")).ToList();
            foreach (var value in produced.SelectMany(r => r.Values).Where(v => !kept.Contains(v)))
            {
                value.Dispose();
            }

            return new RunResults(names, kept);
        }
        catch
        {
            produced.ForEach(r => r.Dispose());
            throw;
        }
    }

    public void Dispose()
    {
        foreach (var stage in _stages)
        {
            stage.Session.Dispose();
        }

        foreach (var tensor in Enumerable.Reverse(_tensors))
        {
            tensor.Dispose();
        }

        foreach (var memory in _memories.Values)
        {
            memory.Dispose();
        }
    }
}
