using System.Buffers;

namespace Flame.Data.Tokenization;

/// <summary>
/// Finds non-special added tokens in text, leftmost first and longest at a position (Hugging
/// Face's AddedVocabulary rule), with a character trie. Immutable and thread-safe.
/// </summary>
internal sealed class AddedTokenMatcher
{
    private readonly Node _root = new();
    private readonly SearchValues<char> _firstChars;

    public AddedTokenMatcher(IEnumerable<AddedToken> tokens)
    {
        foreach (var token in tokens.Where(t => t.Content.Length > 0))
        {
            var node = _root;
            foreach (var c in token.Content)
            {
                node.Children ??= [];
                node = node.Children.TryGetValue(c, out var child) ? child : node.Children[c] = new Node();
            }

            node.Id = token.Id;
        }

        _firstChars = SearchValues.Create(_root.Children is null ? [] : [.. _root.Children.Keys]);
    }

    /// <summary>The first match at or after <paramref name="start"/>: its index (or -1), length and token id.</summary>
    public int Find(ReadOnlySpan<char> text, int start, out int length, out int id)
    {
        for (var at = start; at < text.Length; at++)
        {
            var skip = text[at..].IndexOfAny(_firstChars);
            if (skip < 0)
            {
                break;
            }

            at += skip;
            (length, id) = (0, -1);
            var node = _root;
            for (var i = at; i < text.Length && node.Children is not null && node.Children.TryGetValue(text[i], out node); i++)
            {
                if (node.Id >= 0)
                {
                    (length, id) = (i - at + 1, node.Id);
                }
            }

            if (id >= 0)
            {
                return at;
            }
        }

        (length, id) = (0, -1);
        return -1;
    }

    private sealed class Node
    {
        public Dictionary<char, Node>? Children;
        public int Id = -1;
    }
}
