using Flame.ModelGraphs.Config;
using Flame.ModelGraphs.Model;
using Flame.Onnx.Transforms;
using Flame.Runtime;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;

namespace Flame.ModelGraphs.Tests;

/// <summary>The decoder with past (KV cache) against the full forward graph: same logits, same greedy tokens.</summary>
[TestClass]
public sealed class KvCacheTests
{
    private static readonly ModelConfig Config = ModelConfigs.Load("tiny-moe") with { InitStd = 0.2 };

    private static ModelSession Session(bool kvCache) =>
        new(FunctionInliner.Inline(FlameMoeModel.Build(Config, new ForwardOptions(Seed: 11, KvCache: kvCache)).Model).ToByteArray());

    private static int ArgMaxOfLast(float[] logits, int positions)
    {
        var v = Config.PaddedVocab;
        var row = logits.AsSpan((positions - 1) * v, Config.VocabSize);
        var best = 0;
        for (var i = 1; i < row.Length; i++)
        {
            best = row[i] > row[best] ? i : best;
        }

        return best;
    }

    [TestMethod]
    public void GreedyGenerationWithAndWithoutTheCacheAgreeTokenForToken()
    {
        using var full = Session(false);
        using var cached = Session(true);
        long[] prompt = [5, 17, 300, 2, 99];
        const int steps = 10;

        // Without a cache: run the whole sequence for every new token.
        var plain = prompt.ToList();
        float[] lastFull = [];
        for (var s = 0; s < steps; s++)
        {
            using var ids = OrtValue.FromArray(plain.ToArray(), 1, plain.Count);
            using var results = full.Run(new Dictionary<string, OrtValue> { [FlameMoeModel.InputIds] = ids }, [FlameMoeModel.Logits]);
            lastFull = results[FlameMoeModel.Logits].ToArray<float>();
            plain.Add(ArgMaxOfLast(lastFull, plain.Count));
        }

        // With the cache: the prompt once (past of length 0), then one token at a time.
        var generated = prompt.ToList();
        var past = Enumerable.Range(0, Config.Layers).SelectMany(i => new[] { "key", "value" }.Select(kv => (Name: FlameMoeModel.PastKeyValue(i, kv), Data: Array.Empty<float>(), Length: 0L))).ToList();
        var input = prompt;
        float[] lastCached = [];
        for (var s = 0; s < steps; s++)
        {
            var inputs = past.ToDictionary(p => p.Name, p => OrtValue.FromArray(p.Data, 1, Config.Heads, p.Length, Config.HeadDim));
            inputs[FlameMoeModel.InputIds] = OrtValue.FromArray(input, 1, input.Length);
            var names = Enumerable.Range(0, Config.Layers).SelectMany(i => new[] { FlameMoeModel.PresentKeyValue(i, "key"), FlameMoeModel.PresentKeyValue(i, "value") }).ToList();
            using (var results = cached.Run(inputs, [FlameMoeModel.Logits, .. names]))
            {
                lastCached = results[FlameMoeModel.Logits].ToArray<float>();
                var next = ArgMaxOfLast(lastCached, input.Length);
                generated.Add(next);
                past = names.Select((n, k) => (past[k].Name, results[n].ToArray<float>(), results[n].Shape[2])).ToList();
                input = [next];
            }

            foreach (var value in inputs.Values)
            {
                value.Dispose();
            }
        }

        CollectionAssert.AreEqual(plain, generated, "greedy tokens with and without the KV cache");
        Assert.AreEqual(prompt.Length + steps - 1, past[0].Length, "the cache holds every position but the last generated one");
        var v = Config.PaddedVocab;
        var fullLast = lastFull.AsSpan((plain.Count - 2) * v, v).ToArray();
        var error = fullLast.Zip(lastCached).Max(t => Math.Abs(t.First - t.Second));
        Assert.IsLessThan(1e-4, error, $"logits of the last step differ by {error}");
    }
}
