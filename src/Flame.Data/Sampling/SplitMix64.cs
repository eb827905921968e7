namespace Flame.Data.Sampling;

/// <summary>
/// SplitMix64 (Steele et al., 2014): a tiny generator whose sequence for a seed is fixed by
/// this code, not by a library version, so shuffles reproduce everywhere and forever.
/// </summary>
public struct SplitMix64(ulong seed)
{
    private ulong _state = seed;

    public ulong State => _state;

    public ulong Next()
    {
        var z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, n) (Lemire's multiply-shift; the tiny bias is irrelevant for shuffles).</summary>
    public int NextInt(int n) => (int)((UInt128)Next() * (ulong)n >> 64);

    /// <summary>Fisher-Yates shuffle of 0..n-1.</summary>
    public int[] Permutation(int n)
    {
        var items = Enumerable.Range(0, n).ToArray();
        for (var i = n - 1; i > 0; i--)
        {
            var j = NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }

        return items;
    }
}
