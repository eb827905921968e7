using System.Text;
using Flame.Data.Tokenization;

namespace Flame.Data.Tests.Tokenization;

[TestClass]
public sealed class RoundTripAndErrorTests
{
    private static readonly Lazy<BpeTokenizer> Gpt2 = new(() => TokenizerFiles.Load(Path.Combine(AppContext.BaseDirectory, "testdata", "gpt2")));

    [TestMethod]
    public void DecodeOfEncodeIsTheIdentityOnRandomUnicode()
    {
        var random = new Random(42);
        string[] pool = ["a", "Z", " ", "  ", "\n", "\t", "é", "ß", "中", "文", "😀", "🇪🇸", "e\u0301", "'s", "123", "!?", "\r\n", "ℕ", "\u200b", "Ω"];
        for (var trial = 0; trial < 300; trial++)
        {
            var text = new StringBuilder();
            for (var i = random.Next(0, 40); i > 0; i--)
            {
                text.Append(pool[random.Next(pool.Length)]);
            }

            var s = text.ToString();
            Assert.AreEqual(s, Gpt2.Value.Decode(Gpt2.Value.Encode(s)), $"'{s}'");
        }
    }

    [TestMethod]
    public void BatchEncodingMatchesOneByOne()
    {
        string[] texts = ["Call me Ishmael.", "Some years ago—never mind how long precisely", "", "  whitespace  "];
        var batch = Gpt2.Value.EncodeBatch(texts);
        for (var i = 0; i < texts.Length; i++)
        {
            CollectionAssert.AreEqual(Gpt2.Value.Encode(texts[i]), batch[i]);
        }
    }

    [TestMethod]
    public void BadFilesNameTheFileAndPlace()
    {
        var folder = Directory.CreateTempSubdirectory("flame-tok-").FullName;
        try
        {
            var json = Path.Combine(folder, "tokenizer.json");
            File.WriteAllText(json, "{ \"model\": { \"type\": \"BPE\", \"vocab\": {");
            StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => TokenizerFiles.Load(json)).Message, json);

            File.WriteAllText(json, "{ \"model\": { \"type\": \"Unigram\" } }");
            StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => TokenizerFiles.Load(json)).Message, "model.type is \"Unigram\"");

            File.WriteAllText(json, "{ \"pre_tokenizer\": {\"type\":\"ByteLevel\"}, \"model\": { \"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": [\"a\"] } }");
            StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => TokenizerFiles.Load(json)).Message, "model.merges[0]");

            var tiktoken = Path.Combine(folder, "bad.tiktoken");
            File.WriteAllText(tiktoken, "IQ== 0\n!!notbase64 1\n");
            StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => TokenizerFiles.Load(tiktoken)).Message, $"{tiktoken}:2");

            Assert.ThrowsExactly<FileNotFoundException>(() => TokenizerFiles.Load(Path.Combine(folder, "missing.json")));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
