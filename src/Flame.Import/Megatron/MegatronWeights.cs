using Flame.ModelGraphs.Builder;
using Flame.ModelGraphs.Config;
using Flame.ModelGraphs.Model;
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
    public static IReadOnlyList<SafeTensor> Map(MegatronTensors tensors, ModelConfig c, Action<string>? progress = null)
    {
        int h = c.Hidden, vocab = c.PaddedVocab;
        var weights = new List<SafeTensor>
        {
            Tensor("embed.weight", tensors.Read(MegatronNames.Embedding), vocab, h),
        };
        for (var i = 0; i < c.Layers; i++)
        {
            progress?.Invoke($"layer {i + 1} of {c.Layers}");
            var prefix = $"layers.{i}.";
            weights.Add(Tensor(prefix + "attn_norm.weight", tensors.ReadLayer(i, MegatronNames.Require(tensors, i, MegatronNames.AttentionNorm)), h));
            weights.Add(Tensor(prefix + "attn.qkv.weight", Qkv(tensors.ReadLayer(i, MegatronNames.Qkv), h, c.Heads), h, 3 * h));
            weights.Add(Tensor(prefix + "attn.out.weight", Transpose(tensors.ReadLayer(i, MegatronNames.Projection), h, h), h, h));
            if (!c.IsMoeLayer(i))
            {
                weights.Add(Tensor(prefix + "mlp_norm.weight", tensors.ReadLayer(i, MegatronNames.Require(tensors, i, MegatronNames.DenseMlpNorm)), h));
                weights.Add(Tensor(prefix + "mlp.fc1.weight", Transpose(tensors.ReadLayer(i, MegatronNames.DenseFc1), 2 * c.DenseFfn, h), h, 2 * c.DenseFfn));
                weights.Add(Tensor(prefix + "mlp.fc2.weight", Transpose(tensors.ReadLayer(i, MegatronNames.DenseFc2), h, c.DenseFfn), c.DenseFfn, h));
                continue;
            }

            int e = c.Experts, f = c.ExpertFfn, s = c.SharedFfn;
            weights.Add(Tensor(prefix + "mlp_norm.weight", tensors.ReadLayer(i, MegatronNames.Require(tensors, i, MegatronNames.MoeNorm)), h));
            weights.Add(Tensor(prefix + "moe.router.weight", Transpose(tensors.ReadLayer(i, MegatronNames.Router), e, h), h, e));
            weights.Add(Tensor(prefix + "moe.experts.fc1.weight", TransposeEach(tensors.ReadLayer(i, MegatronNames.Require(tensors, i, MegatronNames.ExpertFc1)), e, 2 * f, h), e, h, 2 * f));
            weights.Add(Tensor(prefix + "moe.experts.fc2.weight", TransposeEach(tensors.ReadLayer(i, MegatronNames.Require(tensors, i, MegatronNames.ExpertFc2)), e, h, f), e, f, h));
            if (s > 0)
            {
                weights.Add(Tensor(prefix + "moe.shared.fc1.weight", Transpose(tensors.ReadLayer(i, MegatronNames.SharedFc1), 2 * s, h), h, 2 * s));
                weights.Add(Tensor(prefix + "moe.shared.fc2.weight", Transpose(tensors.ReadLayer(i, MegatronNames.SharedFc2), h, s), s, h));
            }
        }

        weights.Add(Tensor("final_norm.weight", tensors.Read(MegatronNames.FinalNorm), h));
        // Untied as trained; a checkpoint with tied embeddings has no output layer and the head is the embedding.
        var output = tensors.Has(MegatronNames.Output) ? tensors.Read(MegatronNames.Output) : tensors.Read(MegatronNames.Embedding);
        weights.Add(Tensor("lm_head.weight", Transpose(output, vocab, h), h, vocab));

        if (tensors.Unread() is { Count: > 0 } unread)
        {
            throw new InvalidDataException($"{tensors.Checkpoint.Folder}: {string.Join(", ", unread.Take(5))}{(unread.Count > 5 ? $" and {unread.Count - 5} more" : "")} have no place in FLAME-MoE's model: a checkpoint of another architecture");
        }

        CheckAgainstGraph(weights, c);
        return weights;
    }

    /// <summary>Megatron's [3H, H] QKV (rows: head-major [q_h, k_h, v_h]) as our [H, 3H] (columns [q | k | v], head-major inside each).</summary>
    public static float[] Qkv(float[] megatron, int hidden, int heads)
    {
        var d = hidden / heads;
        var ours = new float[megatron.Length];
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

        return ours;
    }

    /// <summary>[rows, columns] → [columns, rows].</summary>
    public static float[] Transpose(float[] matrix, int rows, int columns)
    {
        var result = new float[matrix.Length];
        for (var r = 0; r < rows; r++)
        {
            for (var col = 0; col < columns; col++)
            {
                result[col * rows + r] = matrix[r * columns + col];
            }
        }

        return result;
    }

    /// <summary>[count, rows, columns] → [count, columns, rows].</summary>
    private static float[] TransposeEach(float[] stack, int count, int rows, int columns)
    {
        var result = new float[stack.Length];
        var size = rows * columns;
        for (var k = 0; k < count; k++)
        {
            Transpose(stack.AsSpan(k * size, size).ToArray(), rows, columns).CopyTo(result, k * size);
        }

        return result;
    }

    private static SafeTensor Tensor(string name, float[] values, params long[] shape) => SafeTensor.From<float>(name, values, shape);

    private static void CheckAgainstGraph(IReadOnlyList<SafeTensor> weights, ModelConfig c)
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
