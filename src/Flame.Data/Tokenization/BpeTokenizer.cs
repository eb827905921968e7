using System.Collections.Concurrent;
using System.Text;
using System.Text.RegularExpressions;

namespace Flame.Data.Tokenization;

/// <summary>
/// A byte-level BPE tokenizer (GPT-2, GPT-NeoX/Pythia, tiktoken r50k/p50k): text is split
/// by the GPT-2 pattern, each piece is UTF-8 encoded, and byte pairs are merged lowest rank
/// first until no mergeable pair is left. Tokens are byte strings (held as Latin-1 strings,
/// one char per byte). Immutable and thread-safe; encodings of frequent pieces are cached.
/// </summary>
public sealed partial class BpeTokenizer : ITokenizer
{
    private const int CacheLimit = 1 << 18;

    private readonly Dictionary<string, int> _ids;
    private readonly string[] _tokens;
    private readonly int[] _byteIds = new int[256];
    private readonly List<(string Left, string Right)> _merges;

    // (left id, right id) → (rank, merged id): the whole merge table in integers, so encoding
    // allocates no strings. Merge files rank by line; tiktoken ranks a pair by its concatenation.
    private readonly Dictionary<(int, int), (int Rank, int Merged)> _pairs;
    private readonly ConcurrentDictionary<string, int[]> _cache = new();

    /// <param name="tokens">Byte strings by id (Latin-1 chars = bytes); null entries are ids the vocabulary skips.</param>
    /// <param name="merges">Ordered merge rules (GPT-2's vocab.bpe); null means tiktoken-style: a pair's rank is the rank of its concatenation.</param>
    /// <param name="specialTokens">Special tokens by text (e.g. "&lt;|endoftext|&gt;"); never produced by <see cref="Encode"/>.</param>
    public BpeTokenizer(IReadOnlyList<string?> tokens, IReadOnlyList<(string Left, string Right)>? merges, IReadOnlyDictionary<string, int> specialTokens,
        string? endOfDocument = "<|endoftext|>", bool addPrefixSpace = false, bool normalizeNfc = false)
    {
        _tokens = tokens.Select(t => t ?? "").ToArray();
        _ids = new Dictionary<string, int>(tokens.Count, StringComparer.Ordinal);
        for (var id = 0; id < tokens.Count; id++)
        {
            if (tokens[id] is { } token)
            {
                _ids.TryAdd(token, id);
            }
        }

        for (var b = 0; b < 256; b++)
        {
            _byteIds[b] = _ids.TryGetValue(((char)b).ToString(), out var id) ? id : -1;
        }

        _merges = merges?.ToList() ?? [];
        _pairs = merges is null ? PairsByConcatenation() : PairsFromMerges(merges);
        SpecialTokens = specialTokens;
        EndOfDocumentId = endOfDocument is not null && specialTokens.TryGetValue(endOfDocument, out var eod) ? eod : null;
        AddPrefixSpace = addPrefixSpace;
        NormalizeNfc = normalizeNfc;
        VocabularySize = Math.Max(tokens.Count, specialTokens.Count == 0 ? 0 : specialTokens.Values.Max() + 1);
    }

    public int VocabularySize { get; }

    public int? EndOfDocumentId { get; }

    public IReadOnlyDictionary<string, int> SpecialTokens { get; }

    public bool AddPrefixSpace { get; }

    /// <summary>Text is NFC-normalised before encoding (GPT-NeoX's tokenizer.json asks for it).</summary>
    public bool NormalizeNfc { get; }

    /// <summary>The byte string of every id (Latin-1 chars = bytes), for saving.</summary>
    public IReadOnlyList<string> Tokens => _tokens;

    /// <summary>The merge rules in rank order (empty for a tiktoken-style vocabulary).</summary>
    public IEnumerable<(string Left, string Right)> Merges => _merges;

    public int[] Encode(string text)
    {
        if (NormalizeNfc)
        {
            text = text.Normalize(NormalizationForm.FormC);
        }

        if (AddPrefixSpace && text.Length > 0 && text[0] != ' ')
        {
            text = " " + text;
        }

        var ids = new List<int>(text.Length / 3 + 1);
        foreach (var match in Pieces().EnumerateMatches(text))
        {
            ids.AddRange(EncodePiece(text.Substring(match.Index, match.Length)));
        }

        return [.. ids];
    }

    /// <summary>Encodes many documents on all cores, results in input order.</summary>
    public int[][] EncodeBatch(IReadOnlyList<string> texts)
    {
        var results = new int[texts.Count][];
        Parallel.For(0, texts.Count, i => results[i] = Encode(texts[i]));
        return results;
    }

    public string Decode(ReadOnlySpan<int> ids)
    {
        var bytes = new List<byte>(ids.Length * 4);
        foreach (var id in ids)
        {
            if (id >= 0 && id < _tokens.Length && _tokens[id].Length > 0)
            {
                foreach (var c in _tokens[id])
                {
                    bytes.Add((byte)c);
                }
            }
            else if (SpecialTokens.FirstOrDefault(s => s.Value == id) is { Key: not null } special)
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(special.Key));
            }
            else
            {
                throw new ArgumentOutOfRangeException(nameof(ids), id, $"token id {id} is not in the vocabulary ({VocabularySize} ids)");
            }
        }

        return Encoding.UTF8.GetString([.. bytes]);
    }

    private int[] EncodePiece(string piece)
    {
        if (_cache.TryGetValue(piece, out var cached))
        {
            return cached;
        }

        var bytes = Encoding.UTF8.GetBytes(piece);
        var parts = new List<int>(bytes.Length);
        foreach (var b in bytes)
        {
            parts.Add(_byteIds[b] >= 0 ? _byteIds[b] : throw new InvalidOperationException(
                $"the vocabulary has no token for the byte {b:x2}: it is not a complete byte-level vocabulary"));
        }

        Merge(parts);
        var ids = parts.ToArray();
        if (_cache.Count < CacheLimit)
        {
            _cache.TryAdd(piece, ids);
        }

        return ids;
    }

    // Repeatedly merge the adjacent pair of lowest rank (the leftmost among equals).
    private void Merge(List<int> parts)
    {
        while (parts.Count > 1)
        {
            var best = -1;
            var bestRank = int.MaxValue;
            var merged = 0;
            for (var i = 0; i < parts.Count - 1; i++)
            {
                if (_pairs.TryGetValue((parts[i], parts[i + 1]), out var pair) && pair.Rank < bestRank)
                {
                    (bestRank, merged, best) = (pair.Rank, pair.Merged, i);
                }
            }

            if (best < 0)
            {
                return;
            }

            parts[best] = merged;
            parts.RemoveAt(best + 1);
        }
    }

    private Dictionary<(int, int), (int, int)> PairsFromMerges(IReadOnlyList<(string Left, string Right)> merges)
    {
        var pairs = new Dictionary<(int, int), (int, int)>(merges.Count);
        for (var rank = 0; rank < merges.Count; rank++)
        {
            var (left, right) = merges[rank];
            if (_ids.TryGetValue(left, out var l) && _ids.TryGetValue(right, out var r) && _ids.TryGetValue(left + right, out var m))
            {
                pairs.TryAdd((l, r), (rank, m));
            }
        }

        return pairs;
    }

    // tiktoken: a pair's rank is its concatenation's rank (= id); every split of every token is a possible pair.
    private Dictionary<(int, int), (int, int)> PairsByConcatenation()
    {
        var pairs = new Dictionary<(int, int), (int, int)>();
        foreach (var (token, id) in _ids)
        {
            for (var split = 1; split < token.Length; split++)
            {
                if (_ids.TryGetValue(token[..split], out var l) && _ids.TryGetValue(token[split..], out var r))
                {
                    pairs.TryAdd((l, r), (id, id));
                }
            }
        }

        return pairs;
    }

    /// <summary>The pieces GPT-2's pattern splits a text into (BPE never merges across them).</summary>
    public static IEnumerable<string> PreTokenize(string text)
    {
        foreach (Match match in Pieces().Matches(text))
        {
            yield return match.Value;
        }
    }

    /// <summary>GPT-2's pre-tokenization pattern (also r50k/p50k and GPT-NeoX's ByteLevel).</summary>
    [GeneratedRegex(@"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+")]
    private static partial Regex Pieces();
}
