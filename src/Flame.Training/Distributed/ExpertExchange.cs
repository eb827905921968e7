using Flame.ModelGraphs.Config;
using Flame.ModelGraphs.Model;
using Flame.ModelGraphs.Parallel;
using Flame.Runtime;
using Flame.Training.Parallel;
using Microsoft.ML.OnnxRuntime;

namespace Flame.Training.Distributed;

/// <summary>
/// Expert parallelism across ranks: S expert shards over S ranks, rank r holding shard r's
/// experts (their weights, gradients and moments) and everyone the trunk. Per MoE layer, as
/// Megatron's all-to-all token dispatcher: each rank sends every shard the tokens that chose at
/// least one of its experts (hidden state, top-k gates and indices); the shard's rank runs its
/// experts on each source rank's tokens in rank order, so its gradients accumulate as one
/// process accumulating the ranks' micro-batches would; the routed outputs go back, and each
/// rank lays them out as the in-process shard outputs (a token row per token, zeros where a
/// shard had none of its experts), which the trunk sums. Backward moves the same rows the other
/// way: output gradients to the shards, token and gate gradients back. Every exchange goes
/// through host memory.
/// </summary>
internal sealed class ExpertExchange
{
    private readonly IProcessGroup _group;
    private readonly int _hidden;
    private readonly int _topK;
    private readonly int _experts;
    private readonly int _perShard;
    private readonly HashSet<string> _exchanged;
    private readonly Dictionary<int, Dispatch> _dispatches = [];

    /// <summary>What a layer's forward sent and received, kept for its backward: Sources[q] is source rank q's inputs of this rank's shard (null when it sent none).</summary>
    private sealed record Dispatch(int Tokens, List<int>[] Rows, int[] Sent, int[] Received, Func<string, OrtValue?>?[] Sources);

    public ExpertExchange(IProcessGroup group, ModelConfig config, IEnumerable<int> moeLayers)
    {
        _group = group;
        (_hidden, _topK, _experts, _perShard) = (config.Hidden, config.TopK, config.Experts, config.Experts / group.Size);
        _exchanged = [.. moeLayers.SelectMany(i => new[] { ExpertParallelGraphs.MoeTokens(i), FlameMoeModel.TopKWeights(i), FlameMoeModel.TopKIndices(i) }
            .Concat(Enumerable.Range(0, group.Size).Select(s => ExpertParallelGraphs.MoeRouted(i, s))))
            .SelectMany(name => new[] { name, TrainingStage.InputGradient(name) })];
    }

    /// <summary>The shard this rank runs.</summary>
    public int Shard => _group.Rank;

    /// <summary>Whether a stage output with this name crosses ranks (so is wanted in host memory).</summary>
    public bool IsExchanged(string name) => _exchanged.Contains(name);

    /// <summary>
    /// The forward of MoE layer <paramref name="layer"/>'s experts: from the trunk's
    /// moe_tokens / topk_weights / topk_indices in <paramref name="values"/>, every shard's
    /// moe_routed.{layer}.{s} into it. <paramref name="run"/> runs this rank's shard on one
    /// source's tokens (its inputs by name; null for the others).
    /// </summary>
    public void Forward(int layer, Dictionary<string, OrtValue> values, List<IDisposable> owned, Func<Func<string, OrtValue?>, RunResults> run)
    {
        var size = _group.Size;
        var tokens = values[ExpertParallelGraphs.MoeTokens(layer)].AsSpan<float>();
        var gates = values[FlameMoeModel.TopKWeights(layer)].AsSpan<float>();
        var indices = values[FlameMoeModel.TopKIndices(layer)].AsSpan<long>();
        var count = indices.Length / _topK;
        var rows = Enumerable.Range(0, size).Select(_ => new List<int>()).ToArray();
        for (var t = 0; t < count; t++)
        {
            for (var j = 0; j < _topK; j++)
            {
                var shard = (int)(indices[t * _topK + j] / _perShard);
                if (rows[shard].Count == 0 || rows[shard][^1] != t)
                {
                    rows[shard].Add(t);
                }
            }
        }

        int[] sent = [.. rows.Select(r => r.Count)];
        var received = new int[size];
        _group.AllToAll<int>(sent, Ones(size), Offsets(Ones(size)), received, Ones(size), Offsets(Ones(size)), $"the token counts of MoE layer {layer}");

        var what = $"the token dispatch of MoE layer {layer}";
        var receivedTokens = Exchange(Pack(tokens, rows, _hidden), sent, received, _hidden, what);
        var receivedGates = Exchange(Pack(gates, rows, _topK), sent, received, _topK, what);
        var receivedIndices = Exchange(Pack(indices, rows, _topK), sent, received, _topK, what);
        var sources = new Func<string, OrtValue?>?[size];
        _dispatches[layer] = new Dispatch(count, rows, sent, received, sources);

        // This rank's experts on each source's tokens, in rank order; the backward runs on the same inputs.
        var outputs = new float[receivedTokens.Length];
        var routedName = ExpertParallelGraphs.MoeRouted(layer, Shard);
        for (var (source, first) = (0, 0); source < size; first += received[source++])
        {
            if (received[source] > 0)
            {
                sources[source] = SourceInputs(layer, receivedTokens, receivedGates, receivedIndices, first, received[source], owned);
                var results = run(sources[source]!);
                results[routedName].AsSpan<float>().CopyTo(outputs.AsSpan(first * _hidden));
            }
        }

        var routed = Exchange(outputs, received, sent, _hidden, $"the combine of MoE layer {layer}");
        for (var (shard, first) = (0, 0); shard < size; first += sent[shard++])
        {
            values[ExpertParallelGraphs.MoeRouted(layer, shard)] = Unpack(routed.AsSpan(first * _hidden, sent[shard] * _hidden), rows[shard], count, _hidden, owned);
        }
    }

    /// <summary>
    /// The backward of MoE layer <paramref name="layer"/>'s experts: the gradients of every
    /// moe_routed.{layer}.{s} (in <paramref name="seeds"/>) to the shards, this rank's shard's
    /// backward once per source rank (<paramref name="run"/>: its inputs, and whether it is the
    /// step's first run onto the accumulators), and the token and gate gradients back into
    /// <paramref name="seeds"/>, in the order the in-process stages would add them (last shard first).
    /// </summary>
    public void Backward(int layer, string seedName, Dictionary<string, List<OrtValue>> seeds, List<IDisposable> owned, Func<Func<string, OrtValue?>, bool, RunResults> run)
    {
        var size = _group.Size;
        var dispatch = _dispatches[layer];
        var (sent, received, rows) = (dispatch.Sent, dispatch.Received, dispatch.Rows);
        var outgoing = new float[sent.Sum() * _hidden];
        for (var (shard, first) = (0, 0); shard < size; first += sent[shard++])
        {
            var gradient = seeds[ExpertParallelGraphs.MoeRouted(layer, shard)].Single().AsSpan<float>();
            Pack(gradient, [rows[shard]], _hidden).CopyTo(outgoing.AsSpan(first * _hidden));
        }

        var routedGradients = Exchange(outgoing, sent, received, _hidden, $"the output gradients of MoE layer {layer}");
        var tokenGradients = new float[received.Sum() * _hidden];
        var gateGradients = new float[received.Sum() * _topK];
        var (tokensName, gatesName) = (ExpertParallelGraphs.MoeTokens(layer), FlameMoeModel.TopKWeights(layer));
        var ran = false;
        for (var (source, first) = (0, 0); source < size; first += received[source++])
        {
            if (dispatch.Sources[source] is not { } inputs)
            {
                continue;
            }

            var seed = Owned(OrtValue.FromArray(routedGradients.AsSpan(first * _hidden, received[source] * _hidden).ToArray(), received[source], _hidden), owned);
            var results = run(name => name == seedName ? seed : inputs(name), !ran);
            results[TrainingStage.InputGradient(tokensName)].AsSpan<float>().CopyTo(tokenGradients.AsSpan(first * _hidden));
            results[TrainingStage.InputGradient(gatesName)].AsSpan<float>().CopyTo(gateGradients.AsSpan(first * _topK));
            ran = true;
        }

        if (!ran)
        {
            // No token of any rank chose these experts: one zero token with a zero gradient leaves the accumulators
            // as a run over no tokens would (reset, or unchanged).
            var idle = IdleInputs(layer, seedName, owned);
            run(name => idle.TryGetValue(name, out var value) ? value : null, true);
        }

        var tokensBack = Exchange(tokenGradients, received, sent, _hidden, $"the token gradients of MoE layer {layer}");
        var gatesBack = Exchange(gateGradients, received, sent, _topK, $"the gate gradients of MoE layer {layer}");
        var offsets = Offsets(sent);
        for (var shard = size - 1; shard >= 0; shard--)
        {
            Add(seeds, tokensName, Unpack(tokensBack.AsSpan(offsets[shard] * _hidden, sent[shard] * _hidden), rows[shard], dispatch.Tokens, _hidden, owned));
            Add(seeds, gatesName, Unpack(gatesBack.AsSpan(offsets[shard] * _topK, sent[shard] * _topK), rows[shard], dispatch.Tokens, _topK, owned));
        }
    }

    // One source rank's n tokens, gates and indices (from row `first` of what arrived) as the shard's inputs.
    private Func<string, OrtValue?> SourceInputs(int layer, float[] receivedTokens, float[] receivedGates, long[] receivedIndices, int first, int n, List<IDisposable> owned)
    {
        var tokens = Owned(OrtValue.FromArray(receivedTokens.AsSpan(first * _hidden, n * _hidden).ToArray(), n, _hidden), owned);
        var gates = Owned(OrtValue.FromArray(receivedGates.AsSpan(first * _topK, n * _topK).ToArray(), n, _topK), owned);
        var indices = Owned(OrtValue.FromArray(receivedIndices.AsSpan(first * _topK, n * _topK).ToArray(), n, _topK), owned);
        var (tokensName, gatesName, indicesName) = (ExpertParallelGraphs.MoeTokens(layer), FlameMoeModel.TopKWeights(layer), FlameMoeModel.TopKIndices(layer));
        return name => name == tokensName ? tokens : name == gatesName ? gates : name == indicesName ? indices : null;
    }

    private Dictionary<string, OrtValue> IdleInputs(int layer, string seedName, List<IDisposable> owned)
    {
        var indices = Enumerable.Range(0, _topK).Select(j => (long)((Shard * _perShard + j) % _experts)).ToArray();   // distinct experts, the first of them here
        return new()
        {
            [ExpertParallelGraphs.MoeTokens(layer)] = Owned(OrtValue.FromArray(new float[_hidden], 1, _hidden), owned),
            [FlameMoeModel.TopKWeights(layer)] = Owned(OrtValue.FromArray(new float[_topK], 1, _topK), owned),
            [FlameMoeModel.TopKIndices(layer)] = Owned(OrtValue.FromArray(indices, 1, _topK), owned),
            [seedName] = Owned(OrtValue.FromArray(new float[_hidden], 1, _hidden), owned),
        };
    }

    // Rows of `counts[r] * width` elements to each rank r; what arrives, in rank order.
    private T[] Exchange<T>(T[] send, int[] counts, int[] receiveCounts, int width, string what) where T : unmanaged
    {
        int[] Scaled(int[] c) => [.. c.Select(n => n * width)];
        var receive = new T[receiveCounts.Sum() * width];
        _group.AllToAll<T>(send, Scaled(counts), Offsets(Scaled(counts)), receive, Scaled(receiveCounts), Offsets(Scaled(receiveCounts)), what);
        return receive;
    }

    // The chosen rows (for each destination in turn) packed one after another.
    private static T[] Pack<T>(ReadOnlySpan<T> values, IReadOnlyList<List<int>> rows, int width) where T : unmanaged
    {
        var packed = new T[rows.Sum(r => r.Count) * width];
        var at = 0;
        foreach (var list in rows)
        {
            foreach (var row in list)
            {
                values.Slice(row * width, width).CopyTo(packed.AsSpan(at));
                at += width;
            }
        }

        return packed;
    }

    // Rows back in their places among `count` rows of zeros.
    private static OrtValue Unpack(ReadOnlySpan<float> packed, List<int> rows, int count, int width, List<IDisposable> owned)
    {
        var full = new float[count * width];
        for (var i = 0; i < rows.Count; i++)
        {
            packed.Slice(i * width, width).CopyTo(full.AsSpan(rows[i] * width));
        }

        return Owned(OrtValue.FromArray(full, count, width), owned);
    }

    private static void Add(Dictionary<string, List<OrtValue>> seeds, string name, OrtValue value) =>
        (seeds.TryGetValue(name, out var list) ? list : seeds[name] = []).Add(value);

    private static OrtValue Owned(OrtValue value, List<IDisposable> owned)
    {
        owned.Add(value);
        return value;
    }

    private static int[] Ones(int size) => Enumerable.Repeat(1, size).ToArray();

    private static int[] Offsets(int[] counts)
    {
        var offsets = new int[counts.Length];
        for (var r = 1; r < counts.Length; r++)
        {
            offsets[r] = offsets[r - 1] + counts[r - 1];
        }

        return offsets;
    }
}
