using System.CommandLine;
using Flame.ModelGraphs.Builder;
using Flame.ModelGraphs.Model;
using Flame.Training.Checkpoints;
using Flame.Training.Export;

namespace Flame.Cli.Commands;

/// <summary>`flame export`: a run's checkpoint as model.onnx + model.safetensors + config.json + tokenizer.json.</summary>
public static class ExportCommand
{
    public static Command Create()
    {
        var run = new Option<DirectoryInfo>("--run") { Description = "The training run.", Required = true };
        var checkpoint = new Option<string>("--checkpoint") { Description = "\"latest\", a checkpoint name (iter_NNNNNNN) or a step.", DefaultValueFactory = _ => "latest" };
        var output = new Option<DirectoryInfo?>("--out") { Description = "Output folder (default: RUN/export/iter_NNNNNNN)." };
        var opset = new Option<int>("--opset") { Description = "ai.onnx opset of model.onnx (17 keeps IR 8).", DefaultValueFactory = _ => GraphBuilder.DefaultOpset };
        var fp16 = new Option<bool>("--fp16") { Description = "Store the ONNX graphs' weights as float16 (half the size; compute stays float32)." };
        var force = new Option<bool>("--force") { Description = "Replace an existing export at --out (the new one is written aside and renamed into place)." };
        var export = new Command("export", "Write a checkpoint for downstream tools: model.onnx (forward graph with weights and routing outputs), decoder_with_past.onnx (KV cache), model.safetensors + config.json, tokenizer.json.")
        {
            run, checkpoint, output, opset, fp16, force,
        };
        export.SetAction(parseResult =>
        {
            var folder = parseResult.GetValue(run)!.FullName;
            using var runLock = Flame.Training.Loop.RunLock.Acquire(folder, "export");
            var store = new CheckpointStore(folder);
            var which = parseResult.GetValue(checkpoint)!;
            // Loaded (and its files hash-checked) once: "latest" is the newest intact checkpoint.
            var loaded = which == "latest"
                ? (store.LatestStep() is null ? throw new ArgumentException($"{store.Folder} has no checkpoint yet") : store.LoadNewestIntact(parseResult.InvocationConfiguration.Error.WriteLine))
                : store.Load(long.TryParse(which.StartsWith("iter_", StringComparison.Ordinal) ? which[5..] : which, out var s) && store.Steps().Contains(s)
                    ? s
                    : throw new ArgumentException($"checkpoint '{which}' is not in {store.Folder}; it has {string.Join(", ", store.Steps().Select(CheckpointStore.NameOf))}"));
            var target = parseResult.GetValue(output)?.FullName ?? Path.Combine(folder, "export", CheckpointStore.NameOf(loaded.State.Step));
            var tokenizer = Path.Combine(folder, "tokenizer.json");
            var result = CheckpointExporter.Export(loaded, target, File.Exists(tokenizer) ? tokenizer : null, new ForwardOptions(Opset: parseResult.GetValue(opset)), parseResult.GetValue(fp16), parseResult.GetValue(force));
            parseResult.InvocationConfiguration.Output.WriteLine($"wrote {result.Model}, {result.DecoderWithPast}, {result.SafeTensors}, {result.Config}{(result.Tokenizer is null ? " (no tokenizer.json in the run)" : ", " + result.Tokenizer)} and their SHA-256 in {Flame.Onnx.IO.FileManifest.FileName}");
            return 0;
        });
        return export;
    }
}
