using System.Text.Json;
using Flame.ModelGraphs.Builder;
using Flame.ModelGraphs.Config;
using Flame.ModelGraphs.Model;
using Flame.ModelGraphs.Parallel;
using Flame.Onnx.Transforms;
using Flame.Runtime;
using Flame.Training.Checkpoints;
using Google.Protobuf;

namespace Flame.Training.Parallel;

/// <summary>
/// The forward pass with experts sharded (<see cref="ExpertParallelGraphs"/>), for evaluation and
/// tracing: each stage in its own session, run in order, the weights resident in the device's
/// memory once and each shard bound to its rows of the stacked expert tensors. From outside it
/// is one model: input_ids in; logits and every MoE layer's router_logits, topk_weights and
/// topk_indices out, as the whole forward graph has them.
/// </summary>
public sealed class ExpertParallelForward : IModelRunner
{
    private sealed record Stage(InferenceSession Session, Dictionary<string, OrtValue> Weights);

    private readonly DeviceMemory _memory;
    private readonly List<OrtValue> _tensors = [];
    private readonly List<Stage> _stages = [];

    /// <param name="weight">The values of each parameter (float32, the model's shapes), by name.</param>
    public ExpertParallelForward(ModelConfig config, int shards, Func<string, long[], ReadOnlySpan<float>> weight, SessionSettings? settings = null)
    {
        settings ??= SessionSettings.Default;
        var stages = ExpertParallelGraphs.Build(config, shards);
        _memory = DeviceMemory.For(settings.Device);
        var full = new Dictionary<string, OrtValue>();
        foreach (var parameter in FlameMoeModel.Build(config, new ForwardOptions(WeightsAs.Inputs)).Parameters)
        {
            var tensor = _memory.Allocate(TensorElementType.Float, parameter.Shape);
            _tensors.Add(tensor);
            _memory.Upload(weight(parameter.Name, parameter.Shape), tensor);
            full[parameter.Name] = tensor;
        }

        foreach (var stage in stages)
        {
            var views = stage.Parameters.ToDictionary(p => p.Name, p => p.FirstRow == 0 && p.Shape[0] == full[p.Name].Shape[0] ? full[p.Name] : Track(full[p.Name].Rows(p.FirstRow, p.Shape[0])));
            _stages.Add(new Stage(new InferenceSession(FunctionInliner.Inline(stage.Model).ToByteArray(), settings), views));
        }

        Outputs = [.. _stages.SelectMany(s => s.Session.Outputs).Where(o => !ExpertParallelGraphs.IsBoundary(o.Name))];
    }

    /// <summary>A checkpoint's model, sharded.</summary>
    public static ExpertParallelForward Open(LoadedCheckpoint checkpoint, int shards, SessionSettings? settings = null)
    {
        var config = checkpoint.State.Config.Deserialize<ModelConfig>() ?? throw new InvalidDataException($"{checkpoint.Folder}: the state has no model config");
        using var weights = checkpoint.OpenWeights();
        return new ExpertParallelForward(config.Validate(), shards,
            (name, shape) => System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(weights.ReadExpected(name, "F32", shape)), settings);
    }

    public IReadOnlyList<NodeMetadata> Outputs { get; }

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

    private OrtValue Track(OrtValue view)
    {
        _tensors.Add(view);
        return view;
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

        _memory.Dispose();
    }
}
