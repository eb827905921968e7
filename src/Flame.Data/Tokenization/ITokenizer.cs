namespace Flame.Data.Tokenization;

/// <summary>
/// What the rest of the platform needs of a tokenizer: text to token ids and back.
/// Implementations are immutable and safe to call from several threads at once.
/// </summary>
public interface ITokenizer
{
    /// <summary>Number of token ids the tokenizer can produce (the model pads it further).</summary>
    int VocabularySize { get; }

    /// <summary>The end-of-document token appended after every document, if the vocabulary has one.</summary>
    int? EndOfDocumentId { get; }

    /// <summary>Encodes text to token ids; special tokens in the text are treated as plain text.</summary>
    int[] Encode(string text);

    /// <summary>Decodes token ids back to text; decode(encode(x)) == x for any string x.</summary>
    string Decode(ReadOnlySpan<int> ids);
}
