using Flame.Data.Tokenization;
using Flame.ModelGraphs.Builder;
using Flame.ModelGraphs.Config;
using Flame.ModelGraphs.Model;
using Flame.Onnx.SafeTensors;
using Flame.Runtime;
using Microsoft.ML.OnnxRuntime;

namespace Flame.Server;

/// <summary>A forward pass's results for one sequence: logits and, per MoE layer, each token's experts and weights, and the extended KV cache.</summary>
public sealed record ForwardResult(float[] Logits, int Vocabulary, IReadOnlyDictionary<int, (long[] Experts, float[] Weights)> Routing, KvCache Cache);

/// <summary>Keys and values of the positions seen so far, per layer (batch 1); empty at the start.</summary>
public sealed record KvCache(IReadOnlyList<float[]> Keys, IReadOnlyList<float[]> Values, long Length)
{
    public static KvCache Empty(int layers) => new([.. Enumerable.Repeat(Array.Empty<float>(), layers)], [.. Enumerable.Repeat(Array.Empty<float>(), layers)], 0);
}

/// <summary>
/// One exported model (config.json + model.safetensors + tokenizer.json from `flame export`)
/// as an ORT session whose graph has the expert-intervention inputs and a KV cache (so
/// generation runs one new token per step). Sessions are safe to run
/// concurrently; the server bounds how many requests run at once.
/// </summary>
public sealed class ServedModel : IDisposable
{
    private readonly ModelSession _session;

    private ServedModel(ModelConfig config, BpeTokenizer tokenizer, ModelSession session, IReadOnlyList<int> moeLayers, string folder)
    {
        Config = config;
        Tokenizer = tokenizer;
        _session = session;
        MoeLayers = moeLayers;
        Folder = folder;
    }

    public ModelConfig Config { get; }

    public BpeTokenizer Tokenizer { get; }

    public IReadOnlyList<int> MoeLayers { get; }

    public string Folder { get; }

    public static ServedModel Load(string folder, SessionSettings? settings = null)
    {
        // An export's manifest names a corrupt or swapped file before anything is served from it.
        Flame.Onnx.IO.FileManifest.Verify(folder);
        string Need(string file) => File.Exists(Path.Combine(folder, file)) ? Path.Combine(folder, file)
            : throw new FileNotFoundException($"{folder} has no {file}: serve a folder written by `flame export`", Path.Combine(folder, file));
        var config = ModelConfigs.Load(Need("config.json"));
        var tokenizer = TokenizerFiles.Load(Need("tokenizer.json"));
        var graph = FlameMoeModel.Build(config, new ForwardOptions(WeightsAs.Inputs, ExpertInterventions: true, KvCache: true));
        // The weights go to the session as its own initializers, not into the graph: no proto copy of them, no 2 GB limit.
        Dictionary<string, OrtValue> weights;
        using (var file = SafeTensorsFile.Open(Need("model.safetensors")))
        {
            weights = SuppliedWeights.Read(file, graph.Parameters.Select(p => (p.Name, p.Shape)));
        }

        var session = ModelSession.WithWeights(graph.Model, weights, settings);
        return new ServedModel(config, tokenizer, session, graph.MoeLayers, folder);
    }

    /// <summary>Runs the model on token ids that follow <paramref name="cache"/> (none: a fresh sequence) with the given interventions.</summary>
    public ForwardResult Forward(IReadOnlyList<int> ids, ExpertInterventions interventions, KvCache? cache = null)
    {
        cache ??= KvCache.Empty(Config.Layers);
        var inputs = new Dictionary<string, OrtValue> { [FlameMoeModel.InputIds] = OrtValue.FromArray(ids.Select(i => (long)i).ToArray(), 1, ids.Count) };
        for (var layer = 0; layer < Config.Layers; layer++)
        {
            inputs[FlameMoeModel.PastKeyValue(layer, "key")] = OrtValue.FromArray(cache.Keys[layer], 1, Config.Heads, cache.Length, Config.HeadDim);
            inputs[FlameMoeModel.PastKeyValue(layer, "value")] = OrtValue.FromArray(cache.Values[layer], 1, Config.Heads, cache.Length, Config.HeadDim);
        }

        foreach (var layer in MoeLayers)
        {
            var (mask, keep) = interventions.For(layer, Config.Experts);
            inputs[FlameMoeModel.ExpertMask(layer)] = OrtValue.FromArray(mask, Config.Experts);
            inputs[FlameMoeModel.ExpertKeep(layer)] = OrtValue.FromArray(keep, Config.Experts);
        }

        try
        {
            var layers = Enumerable.Range(0, Config.Layers).ToList();
            string[] outputs = [FlameMoeModel.Logits, .. MoeLayers.SelectMany(l => new[] { FlameMoeModel.TopKIndices(l), FlameMoeModel.TopKWeights(l) }),
                .. layers.SelectMany(l => new[] { FlameMoeModel.PresentKeyValue(l, "key"), FlameMoeModel.PresentKeyValue(l, "value") })];
            using var results = _session.Run(inputs, outputs);
            var routing = MoeLayers.ToDictionary(l => l, l => (results[FlameMoeModel.TopKIndices(l)].ToArray<long>(), results[FlameMoeModel.TopKWeights(l)].ToArray<float>()));
            var present = new KvCache([.. layers.Select(l => results[FlameMoeModel.PresentKeyValue(l, "key")].ToArray<float>())],
                [.. layers.Select(l => results[FlameMoeModel.PresentKeyValue(l, "value")].ToArray<float>())], cache.Length + ids.Count);
            return new ForwardResult(results[FlameMoeModel.Logits].ToArray<float>(), Config.PaddedVocab, routing, present);
        }
        finally
        {
            foreach (var value in inputs.Values)
            {
                value.Dispose();
            }
        }
    }

    public void Dispose() => _session.Dispose();
}
