using Flame.Runtime;

namespace Flame.Analysis.Traces;

/// <summary>
/// Runs a forward graph over held-out tokens and collects each MoE layer's routing
/// (outputs topk_indices.i / topk_weights.i, i the 0-based layer) in token order: sequence by
/// sequence, position by position, so row r is the same token for every model traced with
/// the same tokens.
/// </summary>
public static class TraceExtractor
{
    public sealed record LayerTrace(int Layer, int[] Indices, float[] Scores, int TopK);

    /// <summary>Traces <paramref name="tokens"/> cut into sequences of <paramref name="sequenceLength"/> (the remainder is dropped).</summary>
    public static IReadOnlyList<LayerTrace> Extract(InferenceSession session, ReadOnlySpan<int> tokens, int sequenceLength, int batchSize = 4)
    {
        var layers = session.Outputs.Select(o => o.Name).Where(n => n.StartsWith("topk_indices.", StringComparison.Ordinal))
            .Select(n => int.Parse(n["topk_indices.".Length..], System.Globalization.CultureInfo.InvariantCulture)).Order().ToList();
        if (layers.Count == 0)
        {
            throw new InvalidDataException("the model has no topk_indices.N outputs: it is not an MoE forward graph of ours");
        }

        var sequences = tokens.Length / sequenceLength;
        if (sequences == 0)
        {
            throw new ArgumentException($"{tokens.Length} tokens do not fill one sequence of {sequenceLength}");
        }

        var indices = layers.ToDictionary(l => l, _ => new List<int>());
        var scores = layers.ToDictionary(l => l, _ => new List<float>());
        var topK = 0;
        var outputNames = layers.SelectMany(l => new[] { $"topk_indices.{l}", $"topk_weights.{l}" }).ToList();
        for (var first = 0; first < sequences; first += batchSize)
        {
            var count = Math.Min(batchSize, sequences - first);
            var ids = tokens.Slice(first * sequenceLength, count * sequenceLength).ToArray().Select(t => (long)t).ToArray();
            using var input = OrtValue.FromArray(ids, count, sequenceLength);
            using var results = session.Run(new Dictionary<string, OrtValue> { ["input_ids"] = input }, outputNames);
            foreach (var layer in layers)
            {
                var layerIndices = results[$"topk_indices.{layer}"];
                topK = (int)layerIndices.Shape[^1];
                indices[layer].AddRange(layerIndices.ToArray<long>().Select(e => (int)e));
                scores[layer].AddRange(results[$"topk_weights.{layer}"].ToArray<float>());
            }
        }

        return layers.Select(l => new LayerTrace(l + 1, [.. indices[l]], [.. scores[l]], topK)).ToList();
    }
}
