using Flame.ModelGraphs.Builder;
using Flame.ModelGraphs.Config;
using Flame.ModelGraphs.Model;
using System.Runtime.InteropServices;
using Flame.Onnx.SafeTensors;

namespace Flame.Import.Megatron;

/// <summary>
/// Megatron-Core's weights in our names and layouts. Megatron's linear weights are
/// [out, in] (y = x Wᵀ), ours [in, out] (y = x W); its fused QKV interleaves q, k, v per head
/// group ([q_h | k_h | v_h] per head h: megatron/core/transformer/attention.py,
/// get_query_key_value_tensors) where ours is [q | k | v] with the heads inside each; its fc1
/// is [gate; value] along the output axis (apply_swiglu_sharded_factory), as ours is. The result
/// is checked against the parameter list of the forward graph the config builds, name and shape.
/// </summary>
public static class MegatronWeights
{
    /// <summary>The weights in our names, each read, transformed and converted when a writer asks for its bytes.</summary>
    /// <param name="buffers">What the tensors are converted through (share one among the maps of a checkpoint).</param>
    /// <param name="progress">Told when the writer reaches each layer.</param>
    public static IReadOnlyList<PendingTensor> Map(MegatronTensors tensors, ModelConfig c, ConversionBuffers buffers, Action<string>? progress = null)
    {
        int h = c.Hidden, vocab = c.PaddedVocab;
        var weights = new List<PendingTensor>();
        var largest = 0L;                                                                     // known once every tensor is listed, before the first is produced
        void Add(string name, long[] shape, MegatronTensors.Reader read, Transform transform)
        {
            var count = checked((int)shape.Aggregate(1L, (n, d) => n * d));
            weights.Add(new PendingTensor(name, "F32", shape, () =>
            {
                var (values, bytes) = buffers.For(count, largest);
                read(values.AsSpan(0, count));
                transform(values.AsSpan(0, count), MemoryMarshal.Cast<byte, float>(bytes.AsSpan(0, count * sizeof(float))));
                return bytes.AsMemory(0, count * sizeof(float));
            }));
        }

        Add("embed.weight", [vocab, h], tensors.Whole(MegatronNames.Embedding), Copy);
        for (var i = 0; i < c.Layers; i++)
        {
            var prefix = $"layers.{i}.";
            var layer = i;
            var attentionNorm = tensors.Layer(i, MegatronNames.Require(tensors, i, MegatronNames.AttentionNorm));
            Add(prefix + "attn_norm.weight", [h], destination =>
            {
                progress?.Invoke($"layer {layer + 1} of {c.Layers}");
                attentionNorm(destination);
            }, Copy);
            Add(prefix + "attn.qkv.weight", [h, 3 * h], tensors.Layer(i, MegatronNames.Qkv), (s, d) => Qkv(s, d, h, c.Heads));
            Add(prefix + "attn.out.weight", [h, h], tensors.Layer(i, MegatronNames.Projection), Transposed(h, h));
            if (!c.IsMoeLayer(i))
            {
                Add(prefix + "mlp_norm.weight", [h], tensors.Layer(i, MegatronNames.Require(tensors, i, MegatronNames.DenseMlpNorm)), Copy);
                Add(prefix + "mlp.fc1.weight", [h, 2 * c.DenseFfn], tensors.Layer(i, MegatronNames.DenseFc1), Transposed(2 * c.DenseFfn, h));
                Add(prefix + "mlp.fc2.weight", [c.DenseFfn, h], tensors.Layer(i, MegatronNames.DenseFc2), Transposed(h, c.DenseFfn));
                continue;
            }

            int e = c.Experts, f = c.ExpertFfn, s = c.SharedFfn;
            Add(prefix + "mlp_norm.weight", [h], tensors.Layer(i, MegatronNames.Require(tensors, i, MegatronNames.MoeNorm)), Copy);
            Add(prefix + "moe.router.weight", [h, e], tensors.Layer(i, MegatronNames.Router), Transposed(e, h));
            Add(prefix + "moe.experts.fc1.weight", [e, h, 2 * f], tensors.Layer(i, MegatronNames.Require(tensors, i, MegatronNames.ExpertFc1)), EachTransposed(e, 2 * f, h));
            Add(prefix + "moe.experts.fc2.weight", [e, f, h], tensors.Layer(i, MegatronNames.Require(tensors, i, MegatronNames.ExpertFc2)), EachTransposed(e, h, f));
            if (s > 0)
            {
                Add(prefix + "moe.shared.fc1.weight", [h, 2 * s], tensors.Layer(i, MegatronNames.SharedFc1), Transposed(2 * s, h));
                Add(prefix + "moe.shared.fc2.weight", [s, h], tensors.Layer(i, MegatronNames.SharedFc2), Transposed(h, s));
            }
        }

        Add("final_norm.weight", [h], tensors.Whole(MegatronNames.FinalNorm), Copy);
        // Untied as trained; a checkpoint with tied embeddings has no output layer and the head is the embedding.
        Add("lm_head.weight", [h, vocab], tensors.Whole(tensors.Has(MegatronNames.Output) ? MegatronNames.Output : MegatronNames.Embedding), Transposed(vocab, h));

        if (tensors.Unread() is { Count: > 0 } unread)
        {
            throw new InvalidDataException($"{tensors.Checkpoint.Folder}: {string.Join(", ", unread.Take(5))}{(unread.Count > 5 ? $" and {unread.Count - 5} more" : "")} have no place in FLAME-MoE's model: a checkpoint of another architecture");
        }

        CheckAgainstGraph(weights, c);
        largest = weights.Max(w => w.ElementCount);
        return weights;
    }

    private delegate void Transform(ReadOnlySpan<float> source, Span<float> destination);

    private static void Copy(ReadOnlySpan<float> source, Span<float> destination) => source.CopyTo(destination);

    private static Transform Transposed(int rows, int columns) => (source, destination) => Transpose(source, destination, rows, columns);

    private static Transform EachTransposed(int count, int rows, int columns) => (source, destination) =>
    {
        var size = rows * columns;
        for (var k = 0; k < count; k++)
        {
            Transpose(source.Slice(k * size, size), destination.Slice(k * size, size), rows, columns);
        }
    };

    /// <summary>Megatron's [3H, H] QKV (rows: head-major [q_h, k_h, v_h]) as our [H, 3H] (columns [q | k | v], head-major inside each).</summary>
    public static void Qkv(ReadOnlySpan<float> megatron, Span<float> ours, int hidden, int heads)
    {
        var d = hidden / heads;
        for (var head = 0; head < heads; head++)
        {
            for (var part = 0; part < 3; part++)
            {
                for (var j = 0; j < d; j++)
                {
                    var row = (head * 3 + part) * d + j;                                 // Megatron's output feature
                    var column = part * hidden + head * d + j;                           // ours
                    for (var input = 0; input < hidden; input++)
                    {
                        ours[input * 3 * hidden + column] = megatron[row * hidden + input];
                    }
                }
            }
        }
    }

    /// <summary>[rows, columns] → [columns, rows].</summary>
    public static void Transpose(ReadOnlySpan<float> matrix, Span<float> result, int rows, int columns)
    {
        for (var r = 0; r < rows; r++)
        {
            for (var col = 0; col < columns; col++)
            {
                result[col * rows + r] = matrix[r * columns + col];
            }
        }
    }

    private static void CheckAgainstGraph(IReadOnlyList<PendingTensor> weights, ModelConfig c)
    {
        var expected = FlameMoeModel.Build(c, new ForwardOptions(WeightsAs.Inputs)).Parameters.ToDictionary(p => p.Name, p => p.Shape.Select(d => (long)d).ToArray());
        var produced = weights.ToDictionary(w => w.Name, w => w.Shape);
        var missing = expected.Keys.Except(produced.Keys).ToList();
        var extra = produced.Keys.Except(expected.Keys).ToList();
        var wrong = expected.Keys.Intersect(produced.Keys).Where(k => !expected[k].SequenceEqual(produced[k])).ToList();
        if (missing.Count + extra.Count + wrong.Count > 0)
        {
            throw new InvalidOperationException($"the imported weights do not fit the model graph: missing {string.Join(", ", missing)}; unexpected {string.Join(", ", extra)}; misshapen {string.Join(", ", wrong)}");
        }
    }
}
