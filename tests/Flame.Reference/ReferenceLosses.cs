using Flame.ModelGraphs.Config;

namespace Flame.Reference;

/// <summary>The training losses of a reference forward pass, from their definitions in flame-moe.md.</summary>
public sealed record ReferenceLosses(double LanguageModel, IReadOnlyList<double> LoadBalancing, IReadOnlyList<double> ZLoss)
{
    /// <summary>lm + 0.01 Σ aux + 0.001 Σ z.</summary>
    public double Total => LanguageModel + 0.01 * LoadBalancing.Sum() + 0.001 * ZLoss.Sum();

    public static ReferenceLosses Of(ModelConfig config, ReferenceOutput output, long[,] targets, long ignoreIndex = -100)
    {
        // Next-token cross-entropy, mean over the targets that count.
        double sum = 0;
        var count = 0;
        for (var b = 0; b < targets.GetLength(0); b++)
        {
            for (var s = 0; s < targets.GetLength(1); s++)
            {
                if (targets[b, s] == ignoreIndex)
                {
                    continue;
                }

                var row = Enumerable.Range(0, config.PaddedVocab).Select(v => output.Logits[b, s, v]).ToArray();
                var max = row.Max();
                sum -= row[targets[b, s]] - max - Math.Log(row.Sum(v => Math.Exp(v - max)));
                count++;
            }
        }

        var aux = new List<double>();
        var z = new List<double>();
        foreach (var routing in output.Routing)
        {
            int tokens = routing.Logits.GetLength(0), experts = routing.Logits.GetLength(1), k = routing.TopKIndices.GetLength(1);
            var meanProbability = new double[experts];
            var routed = new double[experts];
            double zSum = 0;
            for (var t = 0; t < tokens; t++)
            {
                var logits = Enumerable.Range(0, experts).Select(e => routing.Logits[t, e]).ToArray();
                var probabilities = ReferenceModel.Softmax(logits);
                for (var e = 0; e < experts; e++)
                {
                    meanProbability[e] += probabilities[e] / tokens;
                }

                for (var j = 0; j < k; j++)
                {
                    routed[routing.TopKIndices[t, j]] += 1.0 / (tokens * k);
                }

                var max = logits.Max();
                var logSumExp = max + Math.Log(logits.Sum(l => Math.Exp(l - max)));
                zSum += logSumExp * logSumExp;
            }

            aux.Add(experts * Enumerable.Range(0, experts).Sum(e => meanProbability[e] * routed[e]));
            z.Add(zSum / tokens);
        }

        return new ReferenceLosses(sum / count, aux, z);
    }
}
