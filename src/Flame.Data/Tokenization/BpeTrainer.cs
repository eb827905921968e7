using System.Text;

namespace Flame.Data.Tokenization;

/// <summary>
/// Learns a byte-level BPE from a corpus (Sennrich et al., 2016; GPT-2's byte-level variant):
/// the 256 bytes are the first tokens; the corpus is split into pieces by GPT-2's pattern and
/// counted; then the most frequent adjacent pair is merged into a new token, again and again,
/// until the vocabulary (special tokens included) reaches the target size. Pair counts are
/// updated incrementally for the words a merge touches; ties go to the pair whose merged
/// bytes sort first, so training is deterministic.
/// </summary>
public static class BpeTrainer
{
    public static BpeTokenizer Train(IEnumerable<string> documents, int vocabularySize, IReadOnlyList<string>? specialTokens = null, IProgress<int>? progress = null)
    {
        specialTokens ??= [TokenizerFiles.EndOfText];
        var target = vocabularySize - specialTokens.Count;
        if (target < 256)
        {
            throw new ArgumentOutOfRangeException(nameof(vocabularySize), $"a byte-level vocabulary needs at least 256 + {specialTokens.Count} tokens; asked for {vocabularySize}");
        }

        // Words (pieces) with their counts, as sequences of token ids.
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var document in documents)
        {
            foreach (var piece in BpeTokenizer.PreTokenize(document))
            {
                counts[piece] = counts.GetValueOrDefault(piece) + 1;
            }
        }

        var words = counts.Select(c => (Symbols: Encoding.UTF8.GetBytes(c.Key).Select(b => (int)b).ToList(), c.Value)).ToList();
        var tokens = Enumerable.Range(0, 256).Select(b => ((char)b).ToString()).ToList();
        var merges = new List<(string, string)>();

        var pairCounts = new Dictionary<(int, int), long>();
        var pairWords = new Dictionary<(int, int), HashSet<int>>();
        var changed = new HashSet<(int, int)>();
        void Count(int word, long sign)
        {
            var (symbols, count) = words[word];
            for (var i = 0; i < symbols.Count - 1; i++)
            {
                var pair = (symbols[i], symbols[i + 1]);
                pairCounts[pair] = pairCounts.GetValueOrDefault(pair) + sign * count;
                changed.Add(pair);
                if (sign > 0)
                {
                    (pairWords.TryGetValue(pair, out var set) ? set : pairWords[pair] = []).Add(word);
                }
            }
        }

        for (var w = 0; w < words.Count; w++)
        {
            Count(w, +1);
        }

        changed.Clear();

        var queue = new PriorityQueue<(int, int), (long, string)>(Comparer<(long Count, string Bytes)>.Create((a, b) =>
            a.Count != b.Count ? b.Count.CompareTo(a.Count) : string.CompareOrdinal(a.Bytes, b.Bytes)));
        foreach (var (pair, count) in pairCounts)
        {
            queue.Enqueue(pair, (count, tokens[pair.Item1] + tokens[pair.Item2]));
        }

        while (tokens.Count < target && queue.TryDequeue(out var best, out var priority))
        {
            // Entries go stale when counts change: skip any that no longer match.
            if (pairCounts.GetValueOrDefault(best) != priority.Item1 || priority.Item1 <= 0)
            {
                continue;
            }

            var id = tokens.Count;
            tokens.Add(tokens[best.Item1] + tokens[best.Item2]);
            merges.Add((tokens[best.Item1], tokens[best.Item2]));
            changed.Clear();
            foreach (var word in pairWords[best].ToList())
            {
                Count(word, -1);
                var symbols = words[word].Symbols;
                for (var i = 0; i < symbols.Count - 1; i++)
                {
                    if (symbols[i] == best.Item1 && symbols[i + 1] == best.Item2)
                    {
                        symbols[i] = id;
                        symbols.RemoveAt(i + 1);
                    }
                }

                Count(word, +1);
            }

            // Every pair whose count moved gets a fresh queue entry; the old ones go stale.
            pairCounts.Remove(best);
            changed.Remove(best);
            foreach (var pair in changed)
            {
                if (pairCounts[pair] > 0)
                {
                    queue.Enqueue(pair, (pairCounts[pair], tokens[pair.Item1] + tokens[pair.Item2]));
                }
            }

            progress?.Report(tokens.Count);
        }

        var specials = specialTokens.Select((s, i) => new AddedToken(tokens.Count + i, s)).ToList();
        return new BpeTokenizer(tokens, merges, specials);
    }
}
