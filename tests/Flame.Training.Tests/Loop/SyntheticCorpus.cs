using Flame.Data.Indexed;

namespace Flame.Training.Tests.Loop;

/// <summary>
/// Small indexed datasets with structure a model can learn: each document follows a seeded
/// Markov chain over a few dozen tokens (next = a fixed function of the previous token, with
/// occasional noise), so validation loss has somewhere to fall.
/// </summary>
public static class SyntheticCorpus
{
    public static string Write(string folder, int documents = 40, int length = 300, int vocabulary = 64, int seed = 3, double noise = 0.1)
    {
        Directory.CreateDirectory(folder);
        var prefix = Path.Combine(folder, "corpus");
        var random = new Random(seed);
        using var writer = new IndexedDatasetWriter(prefix, 512);
        for (var d = 0; d < documents; d++)
        {
            var tokens = new int[length];
            tokens[0] = random.Next(vocabulary);
            for (var t = 1; t < length; t++)
            {
                tokens[t] = random.NextDouble() < noise ? random.Next(vocabulary) : (tokens[t - 1] * 7 + 3) % vocabulary;
            }

            writer.Add(tokens);
        }

        writer.Complete();
        return prefix;
    }

    /// <summary>One document of <paramref name="length"/> tokens: a single training window for a sequence of length − 1.</summary>
    public static string WriteSingle(string folder, int length, int seed = 5)
    {
        Directory.CreateDirectory(folder);
        var prefix = Path.Combine(folder, "single");
        var random = new Random(seed);
        using var writer = new IndexedDatasetWriter(prefix, 512);
        writer.Add(Enumerable.Range(0, length).Select(_ => random.Next(512)).ToArray());
        writer.Complete();
        return prefix;
    }
}
