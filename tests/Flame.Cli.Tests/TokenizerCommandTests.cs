namespace Flame.Cli.Tests;

[TestClass]
public sealed class TokenizerCommandTests
{
    private static readonly string Gpt2 = Path.Combine(AppContext.BaseDirectory, "testdata", "gpt2");

    [TestMethod]
    public void EncodePrintsIdsAndTokens()
    {
        var result = CliRunner.Run("tokenizer", "encode", "--tokenizer", Gpt2, "--text", "Call me Ishmael.");
        Assert.AreEqual(0, result.ExitCode, result.Error);
        StringAssert.Contains(result.Output, "6 tokens: [14134, 502, 1148, 21720, 417, 13]");
    }

    [TestMethod]
    public void TextStartingWithAnAtSignIsEncodedFromAFile()
    {
        var file = Path.Combine(Path.GetTempPath(), $"encode-{Guid.NewGuid():N}.txt");
        File.WriteAllText(file, "@x and more");
        try
        {
            var result = CliRunner.Run("tokenizer", "encode", "--tokenizer", Gpt2, "--text-file", file);
            Assert.AreEqual(0, result.ExitCode, result.Error);
            StringAssert.Contains(result.Output, "@ | x |  and |  more");

            var neither = CliRunner.Run("tokenizer", "encode", "--tokenizer", Gpt2);
            Assert.AreEqual(1, neither.ExitCode);
            StringAssert.Contains(neither.Error, "--text-file");
        }
        finally
        {
            File.Delete(file);
        }
    }

    [TestMethod]
    public void BenchReportsThroughput()
    {
        var input = Path.Combine(Path.GetTempPath(), $"bench-{Guid.NewGuid():N}.txt");
        File.WriteAllText(input, string.Join("\n\n", Enumerable.Repeat("It was the best of times, it was the worst of times.", 200)));
        try
        {
            var result = CliRunner.Run("tokenizer", "bench", "--tokenizer", Gpt2, "--input", input);
            Assert.AreEqual(0, result.ExitCode, result.Error);
            StringAssert.Contains(result.Output, "MB/s");
        }
        finally
        {
            File.Delete(input);
        }
    }

    [TestMethod]
    public void AMissingTokenizerIsNamed()
    {
        var result = CliRunner.Run("tokenizer", "encode", "--tokenizer", "/nonexistent/tokenizer.json", "--text", "x");
        Assert.AreEqual(1, result.ExitCode);
        StringAssert.Contains(result.Error, "/nonexistent/tokenizer.json");
    }
}
