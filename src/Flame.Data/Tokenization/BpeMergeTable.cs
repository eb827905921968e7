namespace Flame.Data.Tokenization;

/// <summary>
/// The merge rules of a BPE as integers — (left id, right id) → (rank, merged id) — and the
/// merge loop: the adjacent pair of lowest rank is merged (the leftmost among equals) until
/// no pair has a rule. Immutable and thread-safe.
/// </summary>
internal sealed class BpeMergeTable
{
    // Words longer than this are merged with a heap (n log n) instead of rescanning (n²).
    private const int LongWord = 64;

    // Key: left << 32 | right. Value: rank << 32 | merged id; ranks and ids are non-negative ints.
    private readonly Dictionary<long, long> _rules;

    private BpeMergeTable(Dictionary<long, long> rules) => _rules = rules;

    /// <summary>Merge files (vocab.bpe, tokenizer.json): the rank is the line; a rule naming a token outside the vocabulary is an error.</summary>
    public static BpeMergeTable FromMerges(IReadOnlyDictionary<string, int> ids, IReadOnlyList<(string Left, string Right)> merges)
    {
        var rules = new Dictionary<long, long>(merges.Count);
        for (var rank = 0; rank < merges.Count; rank++)
        {
            var (left, right) = merges[rank];
            var l = Id(ids, left, rank);
            var r = Id(ids, right, rank);
            var merged = Id(ids, left + right, rank);
            rules.TryAdd(Key(l, r), Pack(rank, merged));
        }

        return new BpeMergeTable(rules);
    }

    /// <summary>tiktoken: a pair's rank is its concatenation's rank (= id); every split of every token is a possible pair.</summary>
    public static BpeMergeTable FromRanks(IReadOnlyDictionary<string, int> ids)
    {
        var rules = new Dictionary<long, long>(ids.Count * 2);
        foreach (var (token, id) in ids)
        {
            for (var split = 1; split < token.Length; split++)
            {
                if (ids.TryGetValue(token[..split], out var l) && ids.TryGetValue(token[split..], out var r))
                {
                    rules.TryAdd(Key(l, r), Pack(id, id));
                }
            }
        }

        return new BpeMergeTable(rules);
    }

    /// <summary>Merges the symbols in place; returns how many are left at the front.</summary>
    public int Merge(Span<int> symbols) => symbols.Length <= LongWord ? MergeByScan(symbols) : MergeByHeap(symbols);

    // tiktoken's loop: keep each adjacent pair's rule, find the lowest, merge, refresh its two neighbours.
    private int MergeByScan(Span<int> symbols)
    {
        var n = symbols.Length;
        Span<long> rules = stackalloc long[LongWord];
        for (var i = 0; i < n - 1; i++)
        {
            rules[i] = Rule(symbols[i], symbols[i + 1]);
        }

        while (n > 1)
        {
            var best = 0;
            for (var i = 1; i < n - 1; i++)
            {
                if (rules[i] < rules[best])
                {
                    best = i;
                }
            }

            if (rules[best] == long.MaxValue)
            {
                break;
            }

            symbols[best] = (int)rules[best];
            symbols[(best + 2)..n].CopyTo(symbols[(best + 1)..]);
            if (best + 2 < n)
            {
                rules[(best + 2)..(n - 1)].CopyTo(rules[(best + 1)..]);
            }

            n--;
            if (best < n - 1)
            {
                rules[best] = Rule(symbols[best], symbols[best + 1]);
            }

            if (best > 0)
            {
                rules[best - 1] = Rule(symbols[best - 1], symbols[best]);
            }
        }

        return n;
    }

    // Hugging Face's loop for long words: a linked list of symbols and a heap of (rank, position).
    private int MergeByHeap(Span<int> symbols)
    {
        var n = symbols.Length;
        var next = new int[n];
        var previous = new int[n];
        var alive = new bool[n];
        var heap = new PriorityQueue<int, long>(n);
        for (var i = 0; i < n; i++)
        {
            (next[i], previous[i], alive[i]) = (i + 1 < n ? i + 1 : -1, i - 1, true);
            if (i + 1 < n)
            {
                Push(heap, symbols, i, i + 1);
            }
        }

        while (heap.TryDequeue(out var at, out var priority))
        {
            // Entries go stale as neighbours merge: the pair now at `at` must still have this rank (ranks are unique per pair).
            var right = next[at];
            var rule = alive[at] && right >= 0 ? Rule(symbols[at], symbols[right]) : long.MaxValue;
            if (rule == long.MaxValue || rule >> 32 != priority >> 32)
            {
                continue;
            }

            symbols[at] = (int)rule;
            alive[right] = false;
            next[at] = next[right];
            if (next[at] >= 0)
            {
                previous[next[at]] = at;
                Push(heap, symbols, at, next[at]);
            }

            if (previous[at] >= 0)
            {
                Push(heap, symbols, previous[at], at);
            }
        }

        var count = 0;
        for (var i = 0; i >= 0; i = next[i])
        {
            symbols[count++] = symbols[i];
        }

        return count;
    }

    private void Push(PriorityQueue<int, long> heap, Span<int> symbols, int left, int right)
    {
        var rule = Rule(symbols[left], symbols[right]);
        if (rule != long.MaxValue)
        {
            heap.Enqueue(left, (rule & ~0xFFFFFFFFL) | (uint)left);
        }
    }

    private long Rule(int left, int right) => _rules.TryGetValue(Key(left, right), out var rule) ? rule : long.MaxValue;

    private static long Key(int left, int right) => ((long)left << 32) | (uint)right;

    private static long Pack(int rank, int merged) => ((long)rank << 32) | (uint)merged;

    private static int Id(IReadOnlyDictionary<string, int> ids, string token, int rank) => ids.TryGetValue(token, out var id)
        ? id
        : throw new ArgumentException($"merge rule {rank} needs the token '{ByteLevelAlphabet.Encode(token.Select(c => (byte)c).ToArray())}', which is not in the vocabulary");
}
