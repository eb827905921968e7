using Flame.Data.Tokenization;

namespace Flame.Data.Tests.Tokenization;

[TestClass]
public sealed class BpeTrainerTests
{
    private static readonly string[] Corpus =
    [
        "the cat sat on the mat. the cat ate the rat.",
        "a hat, a bat and a cat: the hat sat on the bat.",
        "Mühle, café, 東京, 😀 — unicode survives byte-level BPE.",
    ];

    [TestMethod]
    public void LearnsMergesUpToTheVocabularySizeAndRoundTrips()
    {
        var tokenizer = BpeTrainer.Train(Corpus, vocabularySize: 300);

        Assert.AreEqual(300, tokenizer.VocabularySize);
        Assert.AreEqual(299, tokenizer.EndOfDocumentId);
        Assert.AreEqual(300 - 256 - 1, tokenizer.Merges.Count());
        foreach (var text in Corpus.Append("unseen words: zebra quokka 🦘"))
        {
            Assert.AreEqual(text, tokenizer.Decode(tokenizer.Encode(text)));
        }

        // Frequent words become single tokens: " the" appears 6 times.
        Assert.HasCount(1, tokenizer.Encode(" the"));
        Assert.IsTrue(tokenizer.Encode(Corpus[0]).Length < Corpus[0].Length / 2);
    }

    [TestMethod]
    public void TrainingIsDeterministicAndTheSavedJsonReloads()
    {
        var a = BpeTrainer.Train(Corpus, 320);
        var b = BpeTrainer.Train(Corpus, 320);
        CollectionAssert.AreEqual(a.Merges.ToList(), b.Merges.ToList());

        var path = Path.Combine(Path.GetTempPath(), $"trained-{Guid.NewGuid():N}.json");
        try
        {
            TokenizerFiles.SaveHuggingFace(a, path);
            var reloaded = TokenizerFiles.Load(path);
            foreach (var text in Corpus)
            {
                CollectionAssert.AreEqual(a.Encode(text), reloaded.Encode(text));
            }

            Assert.AreEqual(a.EndOfDocumentId, reloaded.EndOfDocumentId);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void TooSmallAVocabularyIsRefused()
    {
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => BpeTrainer.Train(Corpus, 200));
    }
}
