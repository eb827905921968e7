namespace Flame.Server;

/// <summary>Picks the next token from logits: greedy at temperature 0, else softmax(logits / T) cut to top-k and top-p.</summary>
public static class TokenSampler
{
    public static int Next(ReadOnlySpan<float> logits, int vocabulary, double temperature, int topK, double topP, Random random)
    {
        if (temperature <= 0)
        {
            return ArgMax(logits[..vocabulary]);
        }

        var order = Enumerable.Range(0, vocabulary).ToArray();
        var scores = logits[..vocabulary].ToArray();
        Array.Sort(scores.Select(s => -s).ToArray(), order);
        var keep = topK > 0 ? Math.Min(topK, vocabulary) : vocabulary;
        var max = scores[order[0]];
        var weights = order.Take(keep).Select(i => Math.Exp((scores[i] - max) / temperature)).ToArray();
        var total = weights.Sum();
        // Nucleus: the smallest prefix whose probability reaches top_p.
        double cumulative = 0;
        var nucleus = 0;
        while (nucleus < weights.Length && (nucleus == 0 || cumulative < topP * total))
        {
            cumulative += weights[nucleus++];
        }

        var draw = random.NextDouble() * cumulative;
        for (var i = 0; i < nucleus; i++)
        {
            draw -= weights[i];
            if (draw <= 0)
            {
                return order[i];
            }
        }

        return order[nucleus - 1];
    }

    public static int ArgMax(ReadOnlySpan<float> values)
    {
        var best = 0;
        for (var i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best])
            {
                best = i;
            }
        }

        return best;
    }
}
