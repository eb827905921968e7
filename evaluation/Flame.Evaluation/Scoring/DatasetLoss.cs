using Flame.Data.Indexed;
using Flame.Data.Sampling;
using Flame.Runtime;
using Microsoft.ML.OnnxRuntime;

namespace Flame.Evaluation.Scoring;

/// <summary>
/// Next-token loss and perplexity of a model on documents of an indexed dataset (the
/// validation split): GPT-style windows of seq_len + 1 tokens (seeded, so every model sees
/// the same windows), mean cross-entropy over all predicted tokens; the standard error is
/// over windows.
/// </summary>
public static class DatasetLoss
{
    public static TaskResult Evaluate(IModelRunner model, IndexedDataset dataset, IReadOnlyList<int> documents, int sequenceLength,
        int maxWindows, int batchSize = 4, ulong seed = 1234, IProgress<int>? progress = null)
    {
        var sampler = new GptSampler(dataset, documents, sequenceLength, seed);
        var windows = Math.Min(maxWindows, sampler.WindowsPerEpoch);
        var losses = new List<double>(windows);
        for (var first = 0; first < windows; first += batchSize)
        {
            var count = Math.Min(batchSize, windows - first);
            var batch = Enumerable.Range(0, count).Select(_ => sampler.Next()).ToList();
            var ids = batch.SelectMany(w => w[..^1]).Select(t => (long)t).ToArray();
            using var input = OrtValue.FromArray(ids, count, sequenceLength);
            using var outputs = model.Run(new Dictionary<string, OrtValue> { ["input_ids"] = input }, ["logits"]);
            var logits = outputs["logits"].AsSpan<float>();
            var vocabulary = (int)outputs["logits"].Shape[2];
            for (var b = 0; b < count; b++)
            {
                double total = 0;
                for (var s = 0; s < sequenceLength; s++)
                {
                    total -= LogSoftmax.At(logits.Slice((b * sequenceLength + s) * vocabulary, vocabulary), batch[b][s + 1], out _);
                }

                losses.Add(total / sequenceLength);
            }

            progress?.Report(losses.Count);
        }

        var loss = MetricValue.MeanOf(losses);
        return new TaskResult("validation", 0, windows, new Dictionary<string, MetricValue>
        {
            ["loss"] = loss,
            // Perplexity's error by the delta method, as for LAMBADA.
            ["perplexity"] = new MetricValue(Math.Exp(loss.Value), Math.Exp(loss.Value) * loss.StandardError),
        });
    }
}
