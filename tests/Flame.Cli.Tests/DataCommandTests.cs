using Flame.Data.Indexed;

namespace Flame.Cli.Tests;

[TestClass]
public sealed class DataCommandTests
{
    private static readonly string Gpt2 = Path.Combine(AppContext.BaseDirectory, "testdata", "gpt2");

    [TestMethod]
    public void TokenizesJsonLinesWithEodAndInspectsTheResult()
    {
        var folder = Directory.CreateTempSubdirectory("flame-data-cli-").FullName;
        try
        {
            var corpus = Path.Combine(folder, "corpus.jsonl");
            File.WriteAllText(corpus, "{\"text\":\"Call me Ishmael.\"}\n{\"text\":\"Some years ago\"}\n");
            var prefix = Path.Combine(folder, "out", "corpus");

            var result = CliRunner.Run("data", "tokenize", "--input", corpus, "--tokenizer", Gpt2, "--out", prefix);

            Assert.AreEqual(0, result.ExitCode, result.Error);
            using (var dataset = IndexedDataset.Open(prefix))
            {
                CollectionAssert.AreEqual(new[] { 14134, 502, 1148, 21720, 417, 13, 50256 }, dataset.Sequence(0), "the document, then EOD");
                Assert.AreEqual(2, dataset.Count);
            }

            var inspect = CliRunner.Run("data", "inspect", prefix, "--tokenizer", Gpt2);
            StringAssert.Contains(inspect.Output, "2 documents");
            StringAssert.Contains(inspect.Output, "Call me Ishmael.<|endoftext|>");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    public void TheDemoCorpusIsBuiltAndTokenizedByOneCommand()
    {
        var folder = Directory.CreateTempSubdirectory("flame-demo-cli-").FullName;
        try
        {
            var prefix = Path.Combine(folder, "demo");
            var result = CliRunner.Run("data", "demo", "--out", Path.Combine(folder, "corpus"), "--tokenizer", Gpt2, "--dataset", prefix);

            Assert.AreEqual(0, result.ExitCode, result.Error);
            StringAssert.Contains(result.Output, "wrote 372 documents");
            using var dataset = IndexedDataset.Open(prefix);
            Assert.AreEqual(372, dataset.Count);
            Assert.IsTrue(dataset.Tokens > 2_000_000, $"{dataset.Tokens} tokens");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    public void ABadLineStopsTheRunOrIsSkippedAndCounted()
    {
        var folder = Directory.CreateTempSubdirectory("flame-data-cli-").FullName;
        try
        {
            var corpus = Path.Combine(folder, "bad.jsonl");
            File.WriteAllText(corpus, "{\"text\":\"fine\"}\n{not json\n{\"text\":\"also fine\"}\n");
            var prefix = Path.Combine(folder, "bad");

            var stopped = CliRunner.Run("data", "tokenize", "--input", corpus, "--tokenizer", Gpt2, "--out", prefix);
            Assert.AreEqual(1, stopped.ExitCode);
            StringAssert.Contains(stopped.Error, corpus + ":2");
            Assert.IsFalse(File.Exists(prefix + ".idx"), "nothing half-written under the final name");

            var skipped = CliRunner.Run("data", "tokenize", "--input", corpus, "--tokenizer", Gpt2, "--out", prefix, "--skip-bad");
            Assert.AreEqual(0, skipped.ExitCode, skipped.Error);
            StringAssert.Contains(skipped.Output, "skipped 1 malformed");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
