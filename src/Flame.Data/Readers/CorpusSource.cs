namespace Flame.Data.Readers;

/// <summary>
/// The documents of several inputs in the order given: files by their format (see
/// <see cref="CorpusFormats"/>), folders recursed in ordinal order of their relative paths
/// (files of unknown formats and hidden files in folders are passed over). One summary
/// collects what every file skipped.
/// </summary>
public sealed class CorpusSource : IDocumentSource
{
    private CorpusSource(IReadOnlyList<string> files, ReaderOptions options)
    {
        options.Validate();
        Files = files;
        Options = options;
        Summary = new BadInputSummary(options.MaxExamples);
    }

    /// <summary>The files read, in order.</summary>
    public IReadOnlyList<string> Files { get; }

    /// <summary>The reading options.</summary>
    public ReaderOptions Options { get; }

    public BadInputSummary Summary { get; }

    /// <summary>A source over <paramref name="inputs"/> (files and folders).</summary>
    /// <exception cref="FileNotFoundException">an input does not exist.</exception>
    /// <exception cref="ArgumentException">a file has no known format, a folder holds no corpus file, or the options are invalid.</exception>
    public static CorpusSource Open(IEnumerable<string> inputs, ReaderOptions? options = null) =>
        new(inputs.SelectMany(Expand).ToList(), options ?? ReaderOptions.Default);

    /// <summary>A source over one file or folder.</summary>
    public static CorpusSource Open(string input, ReaderOptions? options = null) => Open([input], options);

    /// <summary>The reader for one file, sharing <paramref name="summary"/>.</summary>
    /// <exception cref="ArgumentException">the file name has no known format.</exception>
    public static FileDocumentSource ForFile(string path, ReaderOptions? options = null, BadInputSummary? summary = null) =>
        CorpusFormats.Detect(path) switch
        {
            CorpusFormat.PlainText => new PlainTextSource(path, options, summary),
            CorpusFormat.JsonLines => new JsonLinesSource(path, options, summary),
            CorpusFormat.Parquet => new ParquetSource(path, options, summary),
            _ => throw new ArgumentException($"{path} has no known corpus format; the readers take {string.Join(", ", CorpusFormats.KnownSuffixes)}.", nameof(path)),
        };

    public IEnumerable<Document> ReadDocuments() =>
        Files.SelectMany(file => ForFile(file, Options, Summary).ReadDocuments());

    private static IEnumerable<string> Expand(string input)
    {
        if (File.Exists(input))
        {
            // Checked now so a typo fails before hours of reading.
            _ = CorpusFormats.Detect(input) ?? throw new ArgumentException(
                $"{input} has no known corpus format; the readers take {string.Join(", ", CorpusFormats.KnownSuffixes)}.", nameof(input));
            return [input];
        }

        if (!Directory.Exists(input))
        {
            throw new FileNotFoundException($"the corpus input {input} is neither a file nor a folder.", input);
        }

        var files = Directory.EnumerateFiles(input, "*", SearchOption.AllDirectories)
            .Where(f => CorpusFormats.Detect(f) is not null && !IsHidden(Path.GetRelativePath(input, f)))
            .OrderBy(f => Path.GetRelativePath(input, f), StringComparer.Ordinal)
            .ToList();
        return files.Count > 0
            ? files
            : throw new ArgumentException($"the folder {input} holds no corpus files ({string.Join(", ", CorpusFormats.KnownSuffixes)}).", nameof(input));
    }

    private static bool IsHidden(string relativePath) =>
        relativePath.Split(Path.DirectorySeparatorChar).Any(part => part.StartsWith('.'));
}
