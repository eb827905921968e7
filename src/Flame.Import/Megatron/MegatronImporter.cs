using System.Text.Json;
using System.Text.Json.Nodes;
using Flame.Data.Tokenization;
using Flame.ModelGraphs.Config;
using Flame.Onnx.IO;
using Flame.Training.Checkpoints;
using Flame.Training.Loop;

namespace Flame.Import.Megatron;

/// <summary>What an import wrote.</summary>
public sealed record ImportResult(string Run, InferredModel Model, IReadOnlyList<long> Iterations);

/// <summary>
/// Megatron-Core checkpoints as a run of ours: config.json, tokenizer.json, import.json (where
/// each came from and what was assumed) and checkpoints/iter_NNNNNNN/ with the weights in our
/// names, every one a milestone, so `eval --run`, `trace --run`, `export` and `serve` take the
/// run as it is. The run is written whole or not at all, and replaces an existing one only with
/// <c>overwrite</c>.
/// </summary>
public static class MegatronImporter
{
    public const string ProvenanceFile = "import.json";

    public static ImportResult Import(IReadOnlyList<string> checkpoints, string run, string? tokenizer, bool overwrite, Action<string> progress)
    {
        var bpe = tokenizer is null ? null : TokenizerFiles.Load(tokenizer);
        run = Path.GetFullPath(run);
        InferredModel? model = null;
        var iterations = new List<long>();
        var sources = new JsonArray();
        StagedFolder.Write(run, overwrite, "a run", staging =>
        {
            var store = new CheckpointStore(staging, keepLast: int.MaxValue);
            foreach (var folder in checkpoints)
            {
                using var checkpoint = MegatronCheckpoint.Open(folder);
                var tensors = new MegatronTensors(checkpoint.Tensors);
                var inferred = MegatronArchitecture.Infer(tensors, checkpoint.Args, bpe?.VocabularySize);
                if (model is not null && inferred.Config != model.Config)
                {
                    throw new InvalidDataException($"{folder}: its architecture differs from {checkpoints[0]}'s; import them into separate runs");
                }

                model ??= inferred;
                progress($"{Path.GetFileName(folder)}: {inferred.Config.Name}, reading {tensors.Checkpoint.Tensors.Count} tensors");
                var weights = MegatronWeights.Map(tensors, inferred.Config, layer => progress($"  {layer}"));
                var args = checkpoint.Args;
                var tokens = checkpoint.Iteration * (args.Long("global_batch_size") ?? 0) * (args.Long("seq_length") ?? 0);
                var state = new CheckpointState
                {
                    Step = checkpoint.Iteration,
                    TokensSeen = tokens,
                    Config = JsonNode.Parse(ModelConfigs.ToJson(inferred.Config))!,
                    Milestone = true,
                };
                store.Save(state, weights, []);
                iterations.Add(checkpoint.Iteration);
                sources.Add(new JsonObject
                {
                    ["folder"] = Path.GetFullPath(folder),
                    ["iteration"] = checkpoint.Iteration,
                    ["megatron_args"] = !args.IsEmpty,
                });
            }

            AtomicFile.WriteAllText(Path.Combine(staging, RunFiles.Config), ModelConfigs.ToJson(model!.Config));
            if (tokenizer is not null)
            {
                TokenizerFiles.SaveHuggingFace(bpe!, Path.Combine(staging, RunFiles.Tokenizer));
            }

            var provenance = new JsonObject
            {
                ["format"] = "megatron-core torch_dist",
                ["preset"] = model.Preset,
                ["notes"] = new JsonArray([.. model.Notes.Select(n => (JsonNode)n)]),
                ["tokenizer"] = tokenizer is null ? null : Path.GetFullPath(tokenizer),
                ["checkpoints"] = sources,
            };
            AtomicFile.WriteAllText(Path.Combine(staging, ProvenanceFile), provenance.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            return 0;
        });
        return new ImportResult(run, model!, iterations);
    }
}
