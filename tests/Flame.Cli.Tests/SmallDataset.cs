using Flame.Data.Indexed;

namespace Flame.Cli.Tests;

/// <summary>A small indexed dataset of random tokens (vocabulary 512, seeded) for the commands that train.</summary>
internal static class SmallDataset
{
    public static string Write(string folder, int documents = 30)
    {
        var prefix = Path.Combine(folder, "data");
        var random = new Random(4);
        using var writer = new IndexedDatasetWriter(prefix, 512);
        for (var d = 0; d < documents; d++)
        {
            writer.Add(Enumerable.Range(0, 200).Select(_ => random.Next(512)).ToArray());
        }

        writer.Complete();
        return prefix;
    }
}
