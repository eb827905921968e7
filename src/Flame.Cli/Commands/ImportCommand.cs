using System.CommandLine;
using Flame.Import.Megatron;

namespace Flame.Cli.Commands;

/// <summary>`flame import megatron`: Megatron-Core distributed checkpoints (the released FLAME-MoE models) as a run of ours.</summary>
public static class ImportCommand
{
    public static Command Create()
    {
        var checkpoint = new Option<DirectoryInfo>("--checkpoint")
        {
            Description = "A Megatron-Core checkpoint (iter_NNNNNNN/ with metadata.json, common.pt, .metadata, __R_W.distcp), or a release folder of them beside latest_checkpointed_iteration.txt (then its latest, or every one with --all).",
            Required = true,
        };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "The models' tokenizer (FLAME-MoE: the Pythia / GPT-NeoX-20B tokenizer.json), kept with the run for eval, trace and serve." };
        var output = new Option<DirectoryInfo>("--out") { Description = "The run directory to write.", Required = true };
        var all = new Option<bool>("--all") { Description = "Import every iter_* of a release folder as the run's checkpoints (training order), not just its latest." };
        var withOptimizer = new Option<bool>("--with-optimizer") { Description = "Also import the distributed optimizer's state (fp32 master weights, Adam moments) and Megatron's training args as run.json, so `flame train --resume RUN` continues the training; needs --data." };
        var data = new Option<string?>("--data") { Description = "With --with-optimizer: the indexed dataset (PREFIX.bin/.idx) training continues on." };
        var force = new Option<bool>("--force") { Description = "Replace an existing run at --out (the new one is written aside and renamed into place)." };
        var megatron = new Command("megatron", "Import Megatron-Core torch_dist checkpoints (bf16/fp16/fp32, TP/EP shards) of a FLAME-MoE-architecture GPT into a run that eval --run, trace --run, export and serve take as they are.")
        {
            checkpoint, tokenizer, output, all, withOptimizer, data, force,
        };
        megatron.SetAction(parseResult =>
        {
            var o = parseResult.InvocationConfiguration.Output;
            var continueOn = parseResult.GetValue(data);
            if (parseResult.GetValue(withOptimizer) != continueOn is not null)
            {
                throw new ArgumentException(continueOn is null
                    ? "--with-optimizer continues the training: give --data PREFIX, the indexed dataset to continue on"
                    : "--data is the dataset training continues on: it goes with --with-optimizer");
            }

            if (continueOn is not null && !File.Exists(continueOn + ".idx"))
            {
                throw new ArgumentException($"--data {continueOn}: {continueOn}.idx does not exist (an indexed dataset from `flame data tokenize`)");
            }

            var folders = MegatronRelease.Checkpoints(parseResult.GetValue(checkpoint)!.FullName, parseResult.GetValue(all));
            var started = System.Diagnostics.Stopwatch.StartNew();
            var result = MegatronImporter.Import(folders, parseResult.GetValue(output)!.FullName, parseResult.GetValue(tokenizer), parseResult.GetValue(force), o.WriteLine, continueOn);
            var c = result.Model.Config;
            o.WriteLine($"model: {c.Layers} layers, hidden {c.Hidden}, {c.Heads} heads, "
                + (c.IsMoe ? $"{c.DenseLayers} dense then {c.Layers - c.DenseLayers} MoE layers of {c.Experts} experts (top-{c.TopK}, expert FFN {c.ExpertFfn}, shared FFN {c.SharedFfn})" : $"dense FFN {c.DenseFfn}")
                + $", vocabulary {c.PaddedVocab}: " + (result.Model.Preset is { } preset ? $"the {preset} preset" : "no preset of ours (a custom config)"));
            foreach (var note in result.Model.Notes)
            {
                o.WriteLine($"note: {note}");
            }

            o.WriteLine($"wrote {result.Run} with {result.Iterations.Count} checkpoint(s) ({string.Join(", ", result.Iterations.Select(Flame.Training.Checkpoints.CheckpointStore.NameOf))}) in {started.Elapsed.TotalSeconds:F1} s");
            o.WriteLine(continueOn is null
                ? $"next: flame eval --run {result.Run} ...; flame trace --run {result.Run} --out TRACES ...; flame export --run {result.Run}"
                : $"next: flame train --resume {result.Run} (continues from iteration {result.Iterations[^1]} on {continueOn}); or eval, trace, export as any run");
            return 0;
        });
        return new Command("import", "Bring checkpoints of other frameworks in as runs.") { megatron };
    }
}
