using Flame.Runtime;
using Microsoft.ML.OnnxRuntime;

namespace Flame.Analysis.Traces;

/// <summary>
/// Runs a forward graph over held-out tokens and streams each MoE layer's routing (outputs
/// topk_indices.i / topk_weights.i, i the 0-based layer; written as layer i + 1, as the
/// released traces number layers from 1) batch by batch in token order: sequence by
/// sequence, position by position, so row r is the same token for every model traced with
/// the same tokens. Memory holds one batch, not the trace.
/// </summary>
public static class TraceExtractor
{
    /// <summary>Traces <paramref name="tokens"/> cut into sequences of <paramref name="sequenceLength"/> (the remainder is dropped) into one checkpoint's files.</summary>
    public static void Extract(IModelRunner session, ReadOnlySpan<int> tokens, int sequenceLength, TraceWriter writer, string checkpoint, int batchSize = 4)
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

        var topK = (int)session.Outputs.First(o => o.Name == $"topk_indices.{layers[0]}").Shape[^1];
        var outputNames = layers.SelectMany(l => new[] { $"topk_indices.{l}", $"topk_weights.{l}" }).ToList();
        using var traces = writer.BeginCheckpoint(checkpoint, layers.Select(l => l + 1).ToList(), topK);
        for (var first = 0; first < sequences; first += batchSize)
        {
            var count = Math.Min(batchSize, sequences - first);
            var ids = new long[count * sequenceLength];
            var batch = tokens.Slice(first * sequenceLength, count * sequenceLength);
            for (var i = 0; i < ids.Length; i++)
            {
                ids[i] = batch[i];
            }

            using var input = OrtValue.FromArray(ids, count, sequenceLength);
            using var results = session.Run(new Dictionary<string, OrtValue> { ["input_ids"] = input }, outputNames);
            foreach (var layer in layers)
            {
                var indices = results[$"topk_indices.{layer}"].ToArray<long>().Select(e => (int)e).ToArray();
                traces.Append(layer + 1, indices, results[$"topk_weights.{layer}"].AsSpan<float>());
            }
        }

        traces.Complete();
    }
}
