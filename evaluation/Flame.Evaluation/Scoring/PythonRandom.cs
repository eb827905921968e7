using System.Numerics;

namespace Flame.Evaluation.Scoring;

/// <summary>
/// Python's random.Random, bit for bit, for what lm-evaluation-harness asks of it: seeding
/// from an int (MT19937's init_by_array over the seed's 32-bit words, as random.seed does),
/// getrandbits, _randbelow and sample, whose two algorithms (a pool for small populations, a set
/// of taken indices for large ones) are chosen by the same size rule. The harness draws few-shot
/// examples with one such generator per task, in document order.
/// </summary>
public sealed class PythonRandom
{
    private const int N = 624;
    private const int M = 397;
    private readonly uint[] _state = new uint[N];
    private int _index = N + 1;

    public PythonRandom(BigInteger seed)
    {
        // random.seed(int): the absolute value's 32-bit words, least significant first ([0] for 0).
        var magnitude = BigInteger.Abs(seed);
        var key = new List<uint>();
        do
        {
            key.Add((uint)(magnitude & uint.MaxValue));
            magnitude >>= 32;
        }
        while (magnitude > 0);

        InitByArray(key);
    }

    /// <summary>random.getrandbits(k) for 0 &lt; k &lt;= 32.</summary>
    public uint GetRandBits(int bits)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bits, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(bits, 32);
        return NextUInt32() >> (32 - bits);
    }

    /// <summary>random._randbelow(n): getrandbits(n.bit_length()) until it is below n.</summary>
    public int RandBelow(int n)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        var bits = 32 - BitOperations.LeadingZeroCount((uint)n);
        var r = GetRandBits(bits);
        while (r >= n)
        {
            r = GetRandBits(bits);
        }

        return (int)r;
    }

    /// <summary>random.sample(range(n), k): k distinct indices in [0, n), in the order Python returns them.</summary>
    public int[] Sample(int n, int k)
    {
        if (k < 0 || k > n)
        {
            throw new ArgumentOutOfRangeException(nameof(k), $"a sample of {k} from {n} (Python: Sample larger than population or is negative)");
        }

        var result = new int[k];
        var setSize = 21;
        if (k > 5)
        {
            setSize += (int)Math.Pow(4, Math.Ceiling(Math.Log(k * 3, 4)));
        }

        if (n <= setSize)
        {
            var pool = Enumerable.Range(0, n).ToArray();
            for (var i = 0; i < k; i++)
            {
                var j = RandBelow(n - i);
                result[i] = pool[j];
                pool[j] = pool[n - i - 1];
            }
        }
        else
        {
            var selected = new HashSet<int>();
            for (var i = 0; i < k; i++)
            {
                var j = RandBelow(n);
                while (!selected.Add(j))
                {
                    j = RandBelow(n);
                }

                result[i] = j;
            }
        }

        return result;
    }

    private void InitGenRand(uint seed)
    {
        _state[0] = seed;
        for (var i = 1; i < N; i++)
        {
            _state[i] = unchecked(1812433253u * (_state[i - 1] ^ (_state[i - 1] >> 30)) + (uint)i);
        }

        _index = N;
    }

    private void InitByArray(IReadOnlyList<uint> key)
    {
        InitGenRand(19650218u);
        int i = 1, j = 0;
        for (var k = Math.Max(N, key.Count); k > 0; k--)
        {
            _state[i] = unchecked((_state[i] ^ ((_state[i - 1] ^ (_state[i - 1] >> 30)) * 1664525u)) + key[j] + (uint)j);
            i++;
            j++;
            if (i >= N)
            {
                _state[0] = _state[N - 1];
                i = 1;
            }

            if (j >= key.Count)
            {
                j = 0;
            }
        }

        for (var k = N - 1; k > 0; k--)
        {
            _state[i] = unchecked((_state[i] ^ ((_state[i - 1] ^ (_state[i - 1] >> 30)) * 1566083941u)) - (uint)i);
            i++;
            if (i >= N)
            {
                _state[0] = _state[N - 1];
                i = 1;
            }
        }

        _state[0] = 0x80000000u;
    }

    private uint NextUInt32()
    {
        if (_index >= N)
        {
            for (var kk = 0; kk < N; kk++)
            {
                var y = (_state[kk] & 0x80000000u) | (_state[(kk + 1) % N] & 0x7fffffffu);
                _state[kk] = _state[(kk + M) % N] ^ (y >> 1) ^ ((y & 1u) != 0 ? 0x9908b0dfu : 0u);
            }

            _index = 0;
        }

        var x = _state[_index++];
        x ^= x >> 11;
        x ^= (x << 7) & 0x9d2c5680u;
        x ^= (x << 15) & 0xefc60000u;
        x ^= x >> 18;
        return x;
    }
}
