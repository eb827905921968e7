namespace Flame.Data.Sampling;

/// <summary>
/// Train/valid/test split by document (FLAME-MoE: 90/5/5). Documents are shuffled with the
/// seed first, so a corpus stored in order (by source, by year) does not put one kind of
/// text in the test split only.
/// </summary>
public sealed record DocumentSplit(int[] Train, int[] Valid, int[] Test)
{
    public static DocumentSplit Create(int documents, ulong seed = 1234, double train = 0.90, double valid = 0.05)
    {
        if (train < 0 || valid < 0 || train + valid > 1)
        {
            throw new ArgumentException($"split fractions must be non-negative and sum to at most 1 (train {train}, valid {valid})");
        }

        var order = new SplitMix64(seed).Permutation(documents);
        var trainCount = (int)Math.Round(documents * train);
        var validCount = Math.Min(documents - trainCount, (int)Math.Round(documents * valid));
        return new DocumentSplit(
            order[..trainCount].Order().ToArray(),
            order[trainCount..(trainCount + validCount)].Order().ToArray(),
            order[(trainCount + validCount)..].Order().ToArray());
    }

    /// <summary>Parses "90,5,5" (any positive weights).</summary>
    public static (double Train, double Valid) Parse(string weights)
    {
        var parts = weights.Split(',').Select(p => double.Parse(p, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        if (parts.Length != 3 || parts.Any(p => p < 0) || parts.Sum() <= 0)
        {
            throw new FormatException($"split '{weights}' must be three non-negative weights like 90,5,5");
        }

        return (parts[0] / parts.Sum(), parts[1] / parts.Sum());
    }
}
