using System.CommandLine;
using Flame.Analysis.Traces;
using Flame.Data.Tokenization;
using Flame.Runtime;

namespace Flame.Cli.Commands;

/// <summary>`flame trace`: routing traces of one or more models over the same held-out tokens, in the released FLAME-MoE layout.</summary>
public static class TraceCommand
{
    public static Command Create()
    {
        var models = new Option<FileInfo[]>("--model")
        {
            Description = "Forward graphs in training order (each becomes a checkpoint iter_NNNNNNN); repeat for several.",
            AllowMultipleArgumentsPerToken = true,
        };
        var run = new Option<DirectoryInfo?>("--run") { Description = "A training run: trace all its checkpoints (named and numbered by their steps)." };
        var dataset = new Option<string?>("--dataset") { Description = "Held-out tokens from the test split of this indexed dataset (split by document, seeded as training)." };
        var split = new Option<string>("--split") { Description = "train,valid,test weights of the split by document.", DefaultValueFactory = _ => "90,5,5" };
        var steps = new Option<long[]>("--step") { Description = "Training step of each model, in the same order (default 1, 2, 3, ...).", AllowMultipleArgumentsPerToken = true };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "The models' tokenizer (with --text; default with --run: RUN/tokenizer.json)." };
        var input = new Option<FileInfo?>("--text") { Description = "Held-out text to trace (UTF-8), instead of --dataset." };
        var tokens = new Option<int>("--tokens") { Description = "Tokens to trace.", DefaultValueFactory = _ => 65_536 };
        var sequence = new Option<int>("--seq-len") { Description = "Tokens per sequence.", DefaultValueFactory = _ => 256 };
        var output = new Option<DirectoryInfo>("--out") { Description = "The traces folder (actives/, samples/).", Required = true };
        var device = DeviceOption.Create();
        var shards = DeviceOption.CreateExpertShards("checkpoints of a --run only");
        var expertDevices = DeviceOption.CreateExpertDevices();
        var command = new Command("trace", "Write routing traces (actives/iter_NNNNNNN/layer_NN.parquet, samples/samples.parquet) for `flame analyze`.")
        {
            models, run, steps, tokenizer, input, dataset, split, tokens, sequence, output, device, shards, expertDevices,
        };
        command.SetAction(parseResult =>
        {
            var o = parseResult.InvocationConfiguration.Output;
            var files = parseResult.GetValue(models) ?? [];
            var stepValues = parseResult.GetValue(steps) is { Length: > 0 } given
                ? given.Length == files.Length ? given : throw new ArgumentException($"--step gives {given.Length} steps for {files.Length} models")
                : files.Select((_, i) => (long)i + 1).ToArray();
            var settings = DeviceOption.Settings(parseResult, device);
            var shardCount = parseResult.GetValue(shards);
            ModelRunners.CheckShardable(shardCount, files.Length);
            var traced = files.Select((f, i) => ($"iter_{stepValues[i]:D7}", f.Name, ModelRunners.FromFile(f.FullName, settings))).ToList();
            var runFolder = parseResult.GetValue(run)?.FullName;
            if (runFolder is not null)
            {
                var store = new Flame.Training.Checkpoints.CheckpointStore(runFolder);
                traced.AddRange(store.Steps().Select(step => (Flame.Training.Checkpoints.CheckpointStore.NameOf(step), Flame.Training.Checkpoints.CheckpointStore.NameOf(step),
                    ModelRunners.FromCheckpoint(store, step, settings, shardCount, DeviceOption.ExpertDevices(parseResult, expertDevices)))));
            }

            if (traced.Count == 0)
            {
                throw new ArgumentException("nothing to trace: give --model files and/or --run");
            }

            var seqLen = parseResult.GetValue(sequence);
            var ids = HeldOutTokens(parseResult.GetValue(input), parseResult.GetValue(dataset), parseResult.GetValue(split)!,
                parseResult.GetValue(tokenizer) ?? (runFolder is not null ? Path.Combine(runFolder, "tokenizer.json") : null), parseResult.GetValue(tokens));
            var wanted = ids.Length / seqLen * seqLen;
            if (wanted == 0)
            {
                throw new ArgumentException($"{ids.Length} held-out tokens do not fill one sequence of {seqLen}");
            }

            var heldOut = ids.AsSpan(0, wanted).ToArray();
            var writer = new TraceWriter(parseResult.GetValue(output)!.FullName);
            writer.WriteSamples(heldOut);
            foreach (var (checkpoint, source, open) in traced)
            {
                using var model = open();
                TraceExtractor.Extract(model, heldOut, seqLen, writer, checkpoint);

                o.WriteLine($"traced {wanted:N0} tokens through {source} as {checkpoint}");
            }

            o.WriteLine($"wrote {writer.Folder}; next: flame analyze --traces {writer.Folder}");
            return 0;
        });
        return command;
    }

    /// <summary>The first tokens of the dataset's test split (documents in order), or of the text file encoded.</summary>
    private static int[] HeldOutTokens(FileInfo? text, string? dataset, string split, string? tokenizer, int count)
    {
        if (dataset is not null)
        {
            using var indexed = Flame.Data.Indexed.IndexedDataset.Open(dataset);
            var (train, valid) = Flame.Data.Sampling.DocumentSplit.Parse(split);
            var tokens = new List<int>(count);
            foreach (var document in Flame.Data.Sampling.DocumentSplit.Create(indexed.Count, train: train, valid: valid).Test)
            {
                tokens.AddRange(indexed.Sequence(document).Take(count - tokens.Count));
                if (tokens.Count == count)
                {
                    break;
                }
            }

            return [.. tokens];
        }

        if (text is null || tokenizer is null)
        {
            throw new ArgumentException("held-out tokens come from --dataset PREFIX, or from --text FILE with --tokenizer");
        }

        var ids = TokenizerFiles.Load(tokenizer).Encode(File.ReadAllText(text.FullName));
        return ids[..Math.Min(count, ids.Length)];
    }
}
