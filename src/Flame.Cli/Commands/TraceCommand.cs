using System.CommandLine;
using Flame.Analysis.Traces;
using Flame.Data.Tokenization;
using Flame.Onnx.Models;
using Flame.Onnx.Transforms;
using Flame.Runtime;
using Google.Protobuf;

namespace Flame.Cli.Commands;

/// <summary>`flame trace`: routing traces of one or more models over the same held-out tokens, in the released FLAME-MoE layout.</summary>
public static class TraceCommand
{
    public static Command Create()
    {
        var models = new Option<FileInfo[]>("--model")
        {
            Description = "Forward graphs in training order (each becomes a checkpoint iter_NNNNNNN); repeat for several.",
            Required = true,
            AllowMultipleArgumentsPerToken = true,
        };
        var steps = new Option<long[]>("--step") { Description = "Training step of each model, in the same order (default 1, 2, 3, ...).", AllowMultipleArgumentsPerToken = true };
        var tokenizer = new Option<string>("--tokenizer") { Description = "The models' tokenizer.", Required = true };
        var input = new Option<FileInfo>("--text") { Description = "Held-out text to trace (UTF-8).", Required = true };
        var tokens = new Option<int>("--tokens") { Description = "Tokens to trace.", DefaultValueFactory = _ => 65_536 };
        var sequence = new Option<int>("--seq-len") { Description = "Tokens per sequence.", DefaultValueFactory = _ => 256 };
        var output = new Option<DirectoryInfo>("--out") { Description = "The traces folder (actives/, samples/).", Required = true };
        var command = new Command("trace", "Write routing traces (actives/iter_NNNNNNN/layer_NN.parquet, samples/samples.parquet) for `flame analyze`.")
        {
            models, steps, tokenizer, input, tokens, sequence, output,
        };
        command.SetAction(parseResult =>
        {
            var o = parseResult.InvocationConfiguration.Output;
            var files = parseResult.GetValue(models)!;
            var stepValues = parseResult.GetValue(steps) is { Length: > 0 } given
                ? given.Length == files.Length ? given : throw new ArgumentException($"--step gives {given.Length} steps for {files.Length} models")
                : files.Select((_, i) => (long)i + 1).ToArray();
            var seqLen = parseResult.GetValue(sequence);
            var ids = TokenizerFiles.Load(parseResult.GetValue(tokenizer)!).Encode(File.ReadAllText(parseResult.GetValue(input)!.FullName));
            var wanted = Math.Min(parseResult.GetValue(tokens), ids.Length) / seqLen * seqLen;
            if (wanted == 0)
            {
                throw new ArgumentException($"{parseResult.GetValue(input)!.FullName} has {ids.Length} tokens, fewer than one sequence of {seqLen}");
            }

            var traced = ids.AsSpan(0, wanted).ToArray();
            using var writer = new TraceWriter(parseResult.GetValue(output)!.FullName);
            writer.WriteSamples(traced);
            for (var m = 0; m < files.Length; m++)
            {
                using var session = new InferenceSession(FunctionInliner.Inline(OnnxModelFile.Load(files[m].FullName)).ToByteArray());
                var checkpoint = $"iter_{stepValues[m]:D7}";
                foreach (var layer in TraceExtractor.Extract(session, traced, seqLen))
                {
                    writer.WriteLayer(checkpoint, layer.Layer, layer.Indices, layer.Scores, layer.TopK);
                }

                o.WriteLine($"traced {wanted:N0} tokens through {files[m].Name} as {checkpoint}");
            }

            o.WriteLine($"wrote {writer.Folder}; next: flame analyze --traces {writer.Folder}");
            return 0;
        });
        return command;
    }
}
