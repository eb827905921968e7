using System.Numerics;
using Flame.Evaluation.Scoring;

namespace Flame.Evaluation.Tests;

/// <summary>
/// Against Debian 12's python3 (3.11, standard library only), which printed these with
/// <c>r = random.Random(seed); [r.sample(range(n), k) for (n, k) in CASES]</c>, one generator per
/// seed consumed in that order, as the harness consumes its few-shot generator.
/// </summary>
[TestClass]
public sealed class PythonRandomTests
{
    private static readonly (int N, int K)[] Cases = [(5, 3), (30, 11), (100, 10), (39905, 11), (2251, 10), (85, 11), (86, 11)];

    [TestMethod]
    public void SeededLikePythonItDrawsPythonsSamples()
    {
        var expected = new Dictionary<BigInteger, int[][]>
        {
            [1234] = [[3, 0, 4], [2, 25, 18, 1, 21, 22, 29, 3, 11, 7, 0], [3, 2, 44, 82, 79, 61, 78, 59, 19, 11], [11999, 7498, 958, 32970, 31899, 16372, 4231, 35460, 30533, 4493, 39417], [364, 2109, 188, 1104, 258, 1238, 1970, 1455, 1091, 1020], [83, 25, 58, 67, 2, 65, 9, 0, 42, 18, 60], [84, 48, 21, 6, 9, 75, 63, 20, 71, 27, 18]],
            [42] = [[0, 4, 2], [8, 7, 28, 4, 23, 3, 21, 17, 2, 18, 13], [4, 3, 11, 27, 29, 64, 77, 71, 25, 91], [35713, 27493, 14446, 29439, 38618, 18231, 425, 10463, 27696, 22298, 18210], [636, 881, 1378, 418, 379, 1556, 396, 1470, 1408, 1083], [5, 58, 68, 15, 48, 10, 70, 37, 46, 73, 24], [8, 5, 84, 29, 37, 10, 12, 48, 35, 58, 81]],
            [0] = [[3, 4, 0], [8, 16, 15, 12, 25, 9, 27, 11, 18, 6, 28], [17, 36, 96, 12, 79, 32, 68, 90, 77, 18], [20325, 6472, 4832, 21639, 30942, 36687, 6599, 23186, 28453, 20722, 13400], [1953, 1813, 2135, 1066, 255, 2247, 57, 382, 1633, 4], [78, 63, 42, 31, 41, 8, 24, 72, 28, 30, 18], [69, 57, 11, 10, 40, 65, 62, 13, 38, 70, 37]],
            [(BigInteger.One << 40) + 7] = [[4, 3, 1], [19, 4, 16, 12, 27, 23, 11, 26, 14, 21, 24], [28, 56, 96, 76, 23, 17, 94, 67, 93, 73], [10676, 2062, 16562, 4965, 24093, 8764, 8534, 37830, 38478, 2023, 37056], [617, 214, 1427, 1197, 1956, 117, 1564, 1437, 1069, 1946], [44, 81, 31, 72, 73, 63, 24, 27, 20, 60, 6], [18, 72, 52, 49, 9, 1, 44, 68, 79, 57, 62]],
        };
        foreach (var (seed, samples) in expected)
        {
            var random = new PythonRandom(seed);
            for (var c = 0; c < Cases.Length; c++)
            {
                CollectionAssert.AreEqual(samples[c], random.Sample(Cases[c].N, Cases[c].K), $"seed {seed}, sample({Cases[c].N}, {Cases[c].K})");
            }
        }
    }

    [TestMethod]
    public void RawBitsMatchPythonsGetrandbits()
    {
        // r = random.Random(1234); [r.getrandbits(32) for _ in range(3)], [r.getrandbits(7) for _ in range(3)]
        var random = new PythonRandom(1234);
        CollectionAssert.AreEqual(new uint[] { 4150886329, 3342196574, 1892932127 }, new[] { random.GetRandBits(32), random.GetRandBits(32), random.GetRandBits(32) });
        CollectionAssert.AreEqual(new uint[] { 14, 0, 11 }, new[] { random.GetRandBits(7), random.GetRandBits(7), random.GetRandBits(7) });
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => random.Sample(3, 4));
    }
}
