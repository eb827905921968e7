using System.Text;
using Flame.Data.Readers;

namespace Flame.Data.Tests.Readers;

/// <summary>Helpers to write corpus fixtures and read them back.</summary>
internal static class ReaderTestFiles
{
    /// <summary>Writes lines joined by '\n' (with a final newline) as raw bytes.</summary>
    public static void WriteLines(string path, params string[] lines) =>
        File.WriteAllBytes(path, Encoding.UTF8.GetBytes(string.Join('\n', lines) + "\n"));

    /// <summary>A JSONL line with the given text under "text" and an id.</summary>
    public static string JsonLine(int id, string text) =>
        System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, object> { ["id"] = id, ["text"] = text, ["url"] = $"https://example.org/{id}" });

    /// <summary>The UTF-8 bytes of <paramref name="text"/> with each U+0001 replaced by <paramref name="raw"/> (to plant invalid bytes).</summary>
    public static byte[] WithByte(string text, byte raw) =>
        Encoding.UTF8.GetBytes(text).Select(b => b == 1 ? raw : b).ToArray();

    /// <summary>Every document of a source.</summary>
    public static List<Document> ReadAll(IDocumentSource source) => source.ReadDocuments().ToList();

    /// <summary>The texts read from <paramref name="input"/>.</summary>
    public static List<string> Texts(string input, ReaderOptions? options = null) =>
        CorpusSource.Open(input, options).ReadDocuments().Select(d => d.Text).ToList();
}
