using System.Text.Encodings.Web;
using System.Text.Json;
using Flame.Onnx.IO;

namespace Flame.Evaluation.Tasks;

/// <summary>
/// A cloze set in lambada_openai's layout, cut from held-out text: each passage is about
/// <c>words</c> consecutive words of one document ending in a word of letters only, the word to
/// predict (LAMBADA: the text without its last word is the context). One JSON object
/// {"text": passage} per line in DIR/lambada_openai/test.jsonl, the file `flame eval --tasks
/// lambada_openai --data DIR` reads. Documents take turns, so a long one does not fill the set.
/// </summary>
public static class LambadaClozeSet
{
    private static readonly JsonSerializerOptions Json = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string FileIn(string folder) => Path.Combine(folder, "lambada_openai", "test.jsonl");

    /// <summary>Writes up to <paramref name="passages"/> passages (atomically); returns how many.</summary>
    public static int Write(IEnumerable<string> documents, string folder, int passages = 128, int words = 48)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(words, 2);
        var perDocument = documents.Select(d => Passages(d, words).ToList()).Where(p => p.Count > 0).ToList();
        var chosen = new List<string>();
        for (var round = 0; chosen.Count < passages && perDocument.Any(p => round < p.Count); round++)
        {
            chosen.AddRange(perDocument.Where(p => round < p.Count).Select(p => p[round]).Take(passages - chosen.Count));
        }

        var path = FileIn(folder);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        AtomicFile.WriteAllText(path, string.Concat(chosen.Select(p => JsonSerializer.Serialize(new Dictionary<string, string> { ["text"] = p }, Json) + "\n")));
        return chosen.Count;
    }

    /// <summary>Non-overlapping windows of a document's words, each ending at the first letters-only word from its nominal end.</summary>
    public static IEnumerable<string> Passages(string document, int words)
    {
        var all = document.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        var start = 0;
        while (start + words <= all.Length)
        {
            var end = start + words - 1;
            while (end < all.Length && !all[end].All(char.IsLetter))
            {
                end++;
            }

            if (end >= all.Length)
            {
                yield break;
            }

            yield return string.Join(' ', all[start..(end + 1)]);
            start = end + 1;
        }
    }
}
