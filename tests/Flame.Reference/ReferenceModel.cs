using Flame.ModelGraphs.Config;

namespace Flame.Reference;

/// <summary>The routing of one MoE layer for every token (row-major over batch, then sequence).</summary>
public sealed record ReferenceRouting(int Layer, double[,] Logits, double[,] TopKWeights, int[,] TopKIndices);

/// <summary>Logits [batch, seq, vocab] and the routing of every MoE layer.</summary>
public sealed record ReferenceOutput(double[,,] Logits, IReadOnlyList<ReferenceRouting> Routing);

/// <summary>
/// An independent FLAME-MoE forward pass in double precision with naive loops, written from
/// the architecture description (flame-moe.md) and the weight-naming contract, not from the
/// graph code — so that the two can check each other. Slow on purpose: obviously correct.
/// Weights are stored [in, out] (y = x W); the stacked expert weights are [E, in, out].
/// </summary>
public sealed class ReferenceModel(ModelConfig config, IReadOnlyDictionary<string, double[]> weights)
{
    private double[] W(string name) => weights.TryGetValue(name, out var w) ? w : throw new KeyNotFoundException($"reference: no weight '{name}'");

    public ReferenceOutput Forward(long[,] ids)
    {
        int batch = ids.GetLength(0), seq = ids.GetLength(1), h = config.Hidden, v = config.PaddedVocab;
        var x = new double[batch * seq][];
        for (var t = 0; t < x.Length; t++)
        {
            x[t] = W("embed.weight").AsSpan((int)ids[t / seq, t % seq] * h, h).ToArray();
        }

        var routing = new List<ReferenceRouting>();
        for (var layer = 0; layer < config.Layers; layer++)
        {
            var p = $"layers.{layer}.";
            var attention = Attention(x.Select(row => RmsNorm(row, W(p + "attn_norm.weight"))).ToArray(), batch, seq, p);
            x = x.Select((row, t) => Add(row, attention[t])).ToArray();
            var normed = x.Select(row => RmsNorm(row, W(p + "mlp_norm.weight"))).ToArray();
            double[][] mlp;
            if (config.IsMoeLayer(layer))
            {
                (mlp, var layerRouting) = Moe(normed, p + "moe.", layer);
                routing.Add(layerRouting);
            }
            else
            {
                mlp = normed.Select(row => SwiGlu(row, W(p + "mlp.fc1.weight"), 0, W(p + "mlp.fc2.weight"), 0, config.DenseFfn)).ToArray();
            }

            x = x.Select((row, t) => Add(row, mlp[t])).ToArray();
        }

        var logits = new double[batch, seq, v];
        for (var t = 0; t < x.Length; t++)
        {
            var final = MatVec(RmsNorm(x[t], W("final_norm.weight")), W("lm_head.weight"), 0, v);
            for (var j = 0; j < v; j++)
            {
                logits[t / seq, t % seq, j] = final[j];
            }
        }

        return new ReferenceOutput(logits, routing);
    }

    private double[] RmsNorm(double[] x, double[] weight)
    {
        var meanSquare = x.Sum(a => a * a) / x.Length;
        var scale = 1 / Math.Sqrt(meanSquare + config.NormEpsilon);
        return x.Select((a, i) => a * scale * weight[i]).ToArray();
    }

    private double[][] Attention(double[][] x, int batch, int seq, string prefix)
    {
        int h = config.Hidden, heads = config.Heads, d = config.HeadDim;
        var qkv = x.Select(row => MatVec(row, W(prefix + "attn.qkv.weight"), 0, 3 * h)).ToArray();
        var output = new double[x.Length][];
        for (var b = 0; b < batch; b++)
        {
            var mixed = new double[seq][];
            for (var s = 0; s < seq; s++)
            {
                mixed[s] = new double[h];
            }

            for (var head = 0; head < heads; head++)
            {
                double[] Part(int t, int which) => qkv[t].AsSpan(which * h + head * d, d).ToArray();
                var q = Enumerable.Range(0, seq).Select(s => Rope(Part(b * seq + s, 0), s)).ToArray();
                var k = Enumerable.Range(0, seq).Select(s => Rope(Part(b * seq + s, 1), s)).ToArray();
                var v = Enumerable.Range(0, seq).Select(s => Part(b * seq + s, 2)).ToArray();
                for (var s = 0; s < seq; s++)
                {
                    // Causal: position s attends to positions 0..s only.
                    var scores = Enumerable.Range(0, s + 1).Select(r => Dot(q[s], k[r]) / Math.Sqrt(d)).ToArray();
                    var weights = Softmax(scores);
                    for (var r = 0; r <= s; r++)
                    {
                        for (var j = 0; j < d; j++)
                        {
                            mixed[s][head * d + j] += weights[r] * v[r][j];
                        }
                    }
                }
            }

            for (var s = 0; s < seq; s++)
            {
                output[b * seq + s] = MatVec(mixed[s], W(prefix + "attn.out.weight"), 0, h);
            }
        }

        return output;
    }

    /// <summary>Rotate-half RoPE at position p: dims j and j + d/2 rotate by p · θ^(−2j/d).</summary>
    private double[] Rope(double[] x, int position)
    {
        var d = x.Length;
        var result = new double[d];
        for (var j = 0; j < d / 2; j++)
        {
            var angle = position * Math.Pow(config.RopeBase, -2.0 * j / d);
            double cos = Math.Cos(angle), sin = Math.Sin(angle);
            result[j] = x[j] * cos - x[j + d / 2] * sin;
            result[j + d / 2] = x[j + d / 2] * cos + x[j] * sin;
        }

        return result;
    }

    private (double[][] Output, ReferenceRouting Routing) Moe(double[][] x, string prefix, int layer)
    {
        int tokens = x.Length, experts = config.Experts, k = config.TopK, h = config.Hidden, f = config.ExpertFfn;
        var logits = new double[tokens, experts];
        var weights = new double[tokens, k];
        var indices = new int[tokens, k];
        var output = new double[tokens][];
        for (var t = 0; t < tokens; t++)
        {
            var scores = MatVec(x[t], W(prefix + "router.weight"), 0, experts);
            var probs = Softmax(scores);
            // Top-k by probability, ties to the lower expert index; weights not renormalised.
            var chosen = Enumerable.Range(0, experts).OrderByDescending(e => probs[e]).ThenBy(e => e).Take(k).ToArray();
            output[t] = config.SharedFfn > 0
                ? SwiGlu(x[t], W(prefix + "shared.fc1.weight"), 0, W(prefix + "shared.fc2.weight"), 0, config.SharedFfn)
                : new double[h];
            for (var j = 0; j < k; j++)
            {
                var e = chosen[j];
                var expert = SwiGlu(x[t], W(prefix + "experts.fc1.weight"), e * h * 2 * f, W(prefix + "experts.fc2.weight"), e * f * h, f);
                output[t] = output[t].Select((a, i) => a + probs[e] * expert[i]).ToArray();
                weights[t, j] = probs[e];
                indices[t, j] = e;
            }

            for (var e = 0; e < experts; e++)
            {
                logits[t, e] = scores[e];
            }
        }

        return (output, new ReferenceRouting(layer, logits, weights, indices));
    }

    /// <summary>out = (silu(x fc1[:, :f]) · x fc1[:, f:]) fc2, reading fc1 [in, 2f] and fc2 [f, in] at the given offsets.</summary>
    private double[] SwiGlu(double[] x, double[] fc1, int fc1Offset, double[] fc2, int fc2Offset, int ffn)
    {
        var hidden = MatVec(x, fc1, fc1Offset, 2 * ffn);
        var mixed = new double[ffn];
        for (var j = 0; j < ffn; j++)
        {
            var gate = hidden[j];
            mixed[j] = gate / (1 + Math.Exp(-gate)) * hidden[ffn + j];
        }

        return MatVec(mixed, fc2, fc2Offset, x.Length);
    }

    /// <summary>y = x W for W stored row-major [x.Length, outputs] starting at <paramref name="offset"/>.</summary>
    private static double[] MatVec(double[] x, double[] w, int offset, int outputs)
    {
        var y = new double[outputs];
        for (var i = 0; i < x.Length; i++)
        {
            for (var j = 0; j < outputs; j++)
            {
                y[j] += x[i] * w[offset + i * outputs + j];
            }
        }

        return y;
    }

    public static double[] Softmax(double[] x)
    {
        var max = x.Max();
        var e = x.Select(a => Math.Exp(a - max)).ToArray();
        var sum = e.Sum();
        return e.Select(a => a / sum).ToArray();
    }

    private static double Dot(double[] a, double[] b) => a.Select((x, i) => x * b[i]).Sum();

    private static double[] Add(double[] a, double[] b) => a.Select((x, i) => x + b[i]).ToArray();
}
