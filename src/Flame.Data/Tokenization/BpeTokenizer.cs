using System.Buffers;
using System.Collections.Concurrent;
using System.Text;
using System.Text.RegularExpressions;

namespace Flame.Data.Tokenization;

/// <summary>
/// A byte-level BPE tokenizer (GPT-2, GPT-NeoX/Pythia, tiktoken r50k/p50k/cl100k/o200k): text is
/// normalized if asked, non-special added tokens are cut out, the rest is split by the options'
/// pattern (<see cref="SplitPattern"/>), each
/// piece is UTF-8 encoded and its bytes merged lowest rank first. Tokens are byte strings
/// (held as Latin-1 strings, one char per byte). Immutable and thread-safe; the encodings of
/// pieces are cached (bounded). Text that is not valid UTF-16 (a lone surrogate) is encoded
/// as U+FFFD, as UTF-8 requires.
/// </summary>
public sealed partial class BpeTokenizer : ITokenizer
{
    // The cache stops growing here (Hugging Face's rule): frequent pieces come early.
    private const int CacheLimit = 1 << 18;
    private const int MaxCachedPieceLength = 48;
    private const int StackLimit = 256;

    private readonly Dictionary<string, int> _ids;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _idsBySpan;
    private readonly byte[][] _bytes;
    private readonly int[] _byteIds = new int[256];
    private readonly (string Left, string Right)[] _merges;
    private readonly BpeMergeTable _mergeTable;
    private readonly AddedTokenMatcher? _addedMatcher;
    private readonly Regex _pieces;
    private readonly ConcurrentDictionary<string, int[]> _cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int[]>.AlternateLookup<ReadOnlySpan<char>> _cacheBySpan;
    private int _cached;

    /// <param name="tokens">Byte strings by id (Latin-1 chars = bytes); null entries are ids the vocabulary skips.</param>
    /// <param name="merges">Ordered merge rules (GPT-2's vocab.bpe); null means tiktoken-style: a pair's rank is the rank of its concatenation.</param>
    /// <param name="addedTokens">Tokens outside the merges: special ones (&lt;|endoftext|&gt;) and non-special ones found in text.</param>
    /// <param name="options">Normalization and pre-tokenization; GPT-2's when null.</param>
    /// <exception cref="ArgumentException">A merge names a token that is not in <paramref name="tokens"/>.</exception>
    public BpeTokenizer(IReadOnlyList<string?> tokens, IReadOnlyList<(string Left, string Right)>? merges, IReadOnlyList<AddedToken> addedTokens, BpeOptions? options = null)
    {
        Options = options ?? BpeOptions.Gpt2;
        _pieces = SplitPatterns.Regex(Options.Pattern);
        Tokens = [.. tokens];
        AddedTokens = [.. addedTokens.OrderBy(t => t.Id)];
        _ids = new Dictionary<string, int>(tokens.Count, StringComparer.Ordinal);
        for (var id = 0; id < tokens.Count; id++)
        {
            if (tokens[id] is { } token)
            {
                _ids.TryAdd(token, id);
            }
        }

        _idsBySpan = _ids.GetAlternateLookup<ReadOnlySpan<char>>();
        _cacheBySpan = _cache.GetAlternateLookup<ReadOnlySpan<char>>();
        for (var b = 0; b < 256; b++)
        {
            _byteIds[b] = _ids.TryGetValue(((char)b).ToString(), out var id) ? id : -1;
        }

        _merges = merges?.ToArray() ?? [];
        _mergeTable = merges is null ? BpeMergeTable.FromRanks(_ids) : BpeMergeTable.FromMerges(_ids, merges);

        VocabularySize = Math.Max(tokens.Count, AddedTokens.Count == 0 ? 0 : AddedTokens[^1].Id + 1);
        _bytes = new byte[VocabularySize][];
        for (var id = 0; id < tokens.Count; id++)
        {
            _bytes[id] = tokens[id]?.Select(c => (byte)c).ToArray() ?? [];
        }

        foreach (var added in AddedTokens.Where(t => _bytes[t.Id] is null || _bytes[t.Id].Length == 0))
        {
            _bytes[added.Id] = Encoding.UTF8.GetBytes(added.Content);
        }

        SpecialTokens = AddedTokens.Where(t => t.Special).GroupBy(t => t.Content).ToDictionary(g => g.Key, g => g.First().Id);
        var inText = AddedTokens.Where(t => !t.Special).ToList();
        _addedMatcher = inText.Count > 0 ? new AddedTokenMatcher(inText) : null;
        EndOfDocumentId = Options.EndOfDocument is { } eod && AddedTokens.FirstOrDefault(t => t.Content == eod) is { } endOfDocument ? endOfDocument.Id : null;
    }

    public int VocabularySize { get; }

    public int? EndOfDocumentId { get; }

    /// <summary>Normalization and pre-tokenization settings.</summary>
    public BpeOptions Options { get; }

    /// <summary>Added tokens by id: special ones and non-special ones matched in text.</summary>
    public IReadOnlyList<AddedToken> AddedTokens { get; }

    /// <summary>The special tokens by text (e.g. "&lt;|endoftext|&gt;"); never produced by <see cref="Encode"/>.</summary>
    public IReadOnlyDictionary<string, int> SpecialTokens { get; }

    /// <summary>The vocabulary's byte strings by id (Latin-1 chars = bytes); null for ids that are only added tokens or unused.</summary>
    public IReadOnlyList<string?> Tokens { get; }

    /// <summary>The merge rules in rank order (empty for a tiktoken-style vocabulary).</summary>
    public IReadOnlyList<(string Left, string Right)> Merges => _merges;

    public int[] Encode(string text)
    {
        var ids = new List<int>(text.Length / 4 + 4);
        Encode(text, ids);
        return [.. ids];
    }

    /// <summary>Appends the ids of <paramref name="text"/> to <paramref name="ids"/>.</summary>
    public void Encode(string text, List<int> ids)
    {
        if (Options.Normalization is { } form)
        {
            text = text.Normalize(form);
        }

        var rest = text.AsSpan();
        while (_addedMatcher is not null && _addedMatcher.Find(rest, 0, out var length, out var id) is var at and >= 0)
        {
            EncodeSegment(rest[..at], ids);
            ids.Add(id);
            rest = rest[(at + length)..];
        }

        EncodeSegment(rest, ids);
    }

    /// <summary>Encodes many documents on all cores, results in input order.</summary>
    public int[][] EncodeBatch(IReadOnlyList<string> texts)
    {
        var results = new int[texts.Count][];
        Parallel.For(0, texts.Count, () => new List<int>(), (i, _, ids) =>
        {
            ids.Clear();
            Encode(texts[i], ids);
            results[i] = [.. ids];
            return ids;
        }, _ => { });
        return results;
    }

    /// <exception cref="ArgumentOutOfRangeException">An id is outside the vocabulary.</exception>
    public string Decode(ReadOnlySpan<int> ids)
    {
        var length = 0;
        foreach (var id in ids)
        {
            length += (uint)id < (uint)_bytes.Length && _bytes[id] is { Length: > 0 } bytes
                ? bytes.Length
                : throw new ArgumentOutOfRangeException(nameof(ids), id, $"token id {id} is not in the vocabulary ({VocabularySize} ids)");
        }

        var buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var at = 0;
            foreach (var id in ids)
            {
                _bytes[id].CopyTo(buffer, at);
                at += _bytes[id].Length;
            }

            return Encoding.UTF8.GetString(buffer, 0, length);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The pieces GPT-2's pattern splits a text into (BPE never merges across them).</summary>
    public static IEnumerable<string> PreTokenize(string text)
    {
        foreach (Match match in SplitPatterns.Regex(SplitPattern.Gpt2).Matches(text))
        {
            yield return match.Value;
        }
    }

    // One stretch of text between added tokens: ByteLevel's prefix space, the split, BPE per piece.
    private void EncodeSegment(ReadOnlySpan<char> segment, List<int> ids)
    {
        if (segment.IsEmpty)
        {
            return;
        }

        if (Options.AddPrefixSpace && segment[0] != ' ')
        {
            segment = string.Concat(" ", segment);
        }

        if (!Options.UseRegex)
        {
            EncodePiece(segment, ids);
            return;
        }

        foreach (var match in _pieces.EnumerateMatches(segment))
        {
            EncodePiece(segment.Slice(match.Index, match.Length), ids);
        }
    }

    private void EncodePiece(ReadOnlySpan<char> piece, List<int> ids)
    {
        if (_cacheBySpan.TryGetValue(piece, out var cached))
        {
            ids.AddRange(cached);
            return;
        }

        var byteCount = Encoding.UTF8.GetByteCount(piece);
        int[]? rented = null;
        Span<int> symbols = byteCount <= StackLimit ? stackalloc int[StackLimit] : (rented = ArrayPool<int>.Shared.Rent(byteCount));
        try
        {
            var count = ToByteIds(piece, symbols[..byteCount]);
            var result = symbols[..count].ToArray();
            if (piece.Length <= MaxCachedPieceLength && Volatile.Read(ref _cached) < CacheLimit && _cacheBySpan.TryAdd(piece, result))
            {
                Interlocked.Increment(ref _cached);
            }

            ids.AddRange(result);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<int>.Shared.Return(rented);
            }
        }
    }

    // The piece's bytes as byte-token ids, merged; returns how many ids are left at the front.
    private int ToByteIds(ReadOnlySpan<char> piece, Span<int> symbols)
    {
        var bytes = symbols.Length <= StackLimit ? stackalloc byte[StackLimit] : new byte[symbols.Length];
        Encoding.UTF8.GetBytes(piece, bytes);
        if (Options.IgnoreMerges && WholeToken(bytes[..symbols.Length]) is var whole and >= 0)
        {
            symbols[0] = whole;
            return 1;
        }

        for (var i = 0; i < symbols.Length; i++)
        {
            symbols[i] = _byteIds[bytes[i]] >= 0 ? _byteIds[bytes[i]] : throw new InvalidOperationException(
                $"the vocabulary has no token for the byte {bytes[i]:x2}: it is not a complete byte-level vocabulary");
        }

        return _mergeTable.Merge(symbols);
    }

    private int WholeToken(ReadOnlySpan<byte> bytes)
    {
        Span<char> latin1 = bytes.Length <= StackLimit ? stackalloc char[StackLimit] : new char[bytes.Length];
        for (var i = 0; i < bytes.Length; i++)
        {
            latin1[i] = (char)bytes[i];
        }

        return _idsBySpan.TryGetValue(latin1[..bytes.Length], out var id) ? id : -1;
    }
}
