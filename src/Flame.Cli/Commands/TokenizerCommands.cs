using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Flame.Data.Tokenization;

namespace Flame.Cli.Commands;

/// <summary>`flame tokenizer encode|bench`: use and measure a byte-level BPE tokenizer.</summary>
public static class TokenizerCommands
{
    public static Command Create()
    {
        var tokenizer = new Command("tokenizer", "Byte-level BPE tokenizers: tokenizer.json, GPT-2 encoder.json + vocab.bpe folders, .tiktoken files.");
        tokenizer.Subcommands.Add(CreateTrain());
        tokenizer.Subcommands.Add(CreateEncode());
        tokenizer.Subcommands.Add(CreateBench());
        return tokenizer;
    }

    private static Option<string> TokenizerOption() => new("--tokenizer")
    {
        Description = "A tokenizer.json, a .tiktoken rank file, or a folder with encoder.json and vocab.bpe.",
        Required = true,
    };

    private static Command CreateTrain()
    {
        var inputs = new Option<string[]>("--input") { Description = "Corpus files or folders (text, JSONL, .jsonl.zst, Parquet).", Required = true, AllowMultipleArgumentsPerToken = true };
        var size = new Option<int>("--vocab-size") { Description = "Vocabulary size including <|endoftext|>.", DefaultValueFactory = _ => 8192 };
        var textField = new Option<string>("--text-field") { Description = "JSON field / Parquet column holding the text.", DefaultValueFactory = _ => "text" };
        var output = new Option<FileInfo>("--out") { Description = "The tokenizer.json to write (Hugging Face format).", Required = true };
        var train = new Command("train", "Learn a byte-level BPE on a corpus and save it as tokenizer.json (loadable by Hugging Face tokenizers).") { inputs, size, textField, output };
        train.SetAction(parseResult =>
        {
            var o = parseResult.InvocationConfiguration.Output;
            var source = Flame.Data.Readers.CorpusSource.Open(parseResult.GetValue(inputs)!, new Flame.Data.Readers.ReaderOptions(parseResult.GetValue(textField)!));
            var clock = Stopwatch.StartNew();
            var target = parseResult.GetValue(size);
            var bpe = BpeTrainer.Train(source.ReadDocuments().Select(d => d.Text), target,
                progress: new SyncProgress<int>(n => { if (n % 256 == 0 || n == target - 1) o.Write($"\r  {n}/{target} tokens"); }));
            TokenizerFiles.SaveHuggingFace(bpe, parseResult.GetValue(output)!.FullName);
            o.WriteLine();
            o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"wrote {parseResult.GetValue(output)!.FullName}: {bpe.VocabularySize} tokens, {bpe.Merges.Count()} merges in {clock.Elapsed.TotalSeconds:F1} s"));
            return 0;
        });
        return train;
    }

    private static Command CreateEncode()
    {
        var path = TokenizerOption();
        var text = new Option<string?>("--text") { Description = "The text to encode (an argument starting with @ names a response file: use --text-file for such text)." };
        var textFile = new Option<string?>("--text-file") { Description = "Encode this UTF-8 file's text exactly, or standard input with -." };
        var encode = new Command("encode", "Print the token ids of a text, and each token decoded.") { path, text, textFile };
        encode.SetAction(parseResult =>
        {
            var bpe = TokenizerFiles.Load(parseResult.GetValue(path)!);
            var ids = bpe.Encode(TextToEncode(parseResult.GetValue(text), parseResult.GetValue(textFile)));
            var o = parseResult.InvocationConfiguration.Output;
            o.WriteLine($"{ids.Length} tokens: [{string.Join(", ", ids)}]");
            o.WriteLine(string.Join(" | ", ids.Select(id => bpe.Decode([id]).Replace("\n", "\\n", StringComparison.Ordinal))));
            return 0;
        });
        return encode;
    }

    private static Command CreateBench()
    {
        var path = TokenizerOption();
        var input = new Option<FileInfo>("--input") { Description = "A UTF-8 text file to encode (split into paragraphs as documents).", Required = true };
        var bench = new Command("bench", "Encoding throughput in MB/s, on one core and on all cores (documents in parallel).") { path, input };
        bench.SetAction(parseResult =>
        {
            var text = File.ReadAllText(parseResult.GetValue(input)!.FullName);
            var documents = text.Split("\n\n").ToList();
            var megabytes = Encoding.UTF8.GetByteCount(text) / 1e6;
            var o = parseResult.InvocationConfiguration.Output;

            // Cold: a freshly loaded tokenizer (empty piece cache); warm: the same tokenizer again.
            var bpe = TokenizerFiles.Load(parseResult.GetValue(path)!);
            double Seconds(Func<long> encode, string label)
            {
                var clock = Stopwatch.StartNew();
                var tokens = encode();
                var seconds = clock.Elapsed.TotalSeconds;
                o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {label}: {tokens:N0} tokens in {seconds:F2} s ({megabytes / seconds:F2} MB/s)"));
                return seconds;
            }

            Seconds(() => documents.Sum(d => (long)bpe.Encode(d).Length), "1 core, cold cache");
            Seconds(() => documents.Sum(d => (long)bpe.Encode(d).Length), "1 core, warm cache");
            var fresh = TokenizerFiles.Load(parseResult.GetValue(path)!);
            Seconds(() => fresh.EncodeBatch(documents).Sum(d => (long)d.Length), $"{Environment.ProcessorCount} cores, cold cache");
            o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{megabytes:F1} MB in {documents.Count:N0} documents"));
            return 0;
        });
        return bench;
    }

    /// <summary>Exactly one of --text and --text-file (a file, or - for standard input).</summary>
    private static string TextToEncode(string? text, string? file) => (text, file) switch
    {
        ({ } t, null) => t,
        (null, "-") => Console.In.ReadToEnd(),
        (null, { } f) => File.Exists(f) ? File.ReadAllText(f) : throw new FileNotFoundException($"--text-file: {f} does not exist", f),
        (null, null) => throw new ArgumentException("give the text to encode: --text TEXT, or --text-file FILE (- for standard input)"),
        _ => throw new ArgumentException("give --text or --text-file, not both"),
    };
}
