using Flame.Data.Indexed;

namespace Flame.Cli.Tests;

/// <summary>A small indexed dataset of random tokens (seeded) for the commands that train, trace or evaluate.</summary>
internal static class SmallDataset
{
    /// <summary>Writes FOLDER/NAME.bin/.idx: <paramref name="documents"/> documents of <paramref name="length"/> tokens below <paramref name="vocabulary"/>; returns the prefix.</summary>
    public static string Write(string folder, int documents = 30, int vocabulary = 512, int length = 200, int seed = 4, string name = "data")
    {
        var prefix = Path.Combine(folder, name);
        var random = new Random(seed);
        using var writer = new IndexedDatasetWriter(prefix, vocabulary);
        for (var d = 0; d < documents; d++)
        {
            writer.Add(Enumerable.Range(0, length).Select(_ => random.Next(vocabulary)).ToArray());
        }

        writer.Complete();
        return prefix;
    }
}
