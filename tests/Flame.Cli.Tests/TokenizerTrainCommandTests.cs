namespace Flame.Cli.Tests;

[TestClass]
public sealed class TokenizerTrainCommandTests
{
    [TestMethod]
    public void TrainsOnAFolderAndTheResultEncodes()
    {
        var folder = Directory.CreateTempSubdirectory("flame-train-tok-").FullName;
        try
        {
            var corpus = Directory.CreateDirectory(Path.Combine(folder, "corpus")).FullName;
            File.WriteAllText(Path.Combine(corpus, "a.txt"), string.Concat(Enumerable.Repeat("the whale and the sea and the ship ", 50)));
            File.WriteAllText(Path.Combine(corpus, "b.txt"), "Call me Ishmael.");
            var output = Path.Combine(folder, "tokenizer.json");

            var result = CliRunner.Run("tokenizer", "train", "--input", corpus, "--vocab-size", "270", "--out", output);

            Assert.AreEqual(0, result.ExitCode, result.Error);
            StringAssert.Contains(result.Output, "270 tokens, 13 merges");
            var encoded = CliRunner.Run("tokenizer", "encode", "--tokenizer", output, "--text", " the whale");
            var count = int.Parse(encoded.Output.Split(' ')[0]);
            Assert.IsTrue(count < " the whale".Length, $"the learned merges shorten frequent words: {encoded.Output}");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
