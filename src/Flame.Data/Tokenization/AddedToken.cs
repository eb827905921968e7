namespace Flame.Data.Tokenization;

/// <summary>
/// A token outside the BPE merges, as in tokenizer.json's "added_tokens": special tokens
/// (&lt;|endoftext|&gt;) are never produced from text; non-special ones (GPT-NeoX's runs of
/// spaces) are found in the text before pre-tokenization, longest match first, as Hugging
/// Face tokenizers does.
/// </summary>
/// <param name="Id">The token id.</param>
/// <param name="Content">The text the token stands for.</param>
/// <param name="Special">Special tokens are control symbols: text that spells them is encoded as plain text.</param>
/// <param name="Normalized">Whether tokenizer.json matches the token in normalized text (kept for saving).</param>
public sealed record AddedToken(int Id, string Content, bool Special = true, bool Normalized = false);
