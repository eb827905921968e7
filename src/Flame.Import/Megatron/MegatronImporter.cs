using System.Text.Json;
using System.Text.Json.Nodes;
using Flame.Data.Tokenization;
using Flame.ModelGraphs.Config;
using Flame.Onnx.IO;
using Flame.Onnx.SafeTensors;
using Flame.Training.Checkpoints;
using Flame.Training.Loop;
using Flame.Training.Optimization;

namespace Flame.Import.Megatron;

/// <summary>What an import wrote.</summary>
public sealed record ImportResult(string Run, InferredModel Model, IReadOnlyList<long> Iterations);

/// <summary>
/// Megatron-Core checkpoints as a run of ours: config.json, tokenizer.json, import.json (where
/// each came from and what was assumed) and checkpoints/iter_NNNNNNN/ with the weights in our
/// names, every one a milestone, so `eval --run`, `trace --run`, `export` and `serve` take the
/// run as it is. The run is written whole or not at all, and replaces an existing one only with
/// <c>overwrite</c>.
/// <para>
/// With a dataset to continue on (<c>--with-optimizer --data</c>), each checkpoint that carries the
/// distributed optimizer's state gets its fp32 master weights (in place of the bf16 model weights)
/// and both Adam moments, and the run gets run.json from Megatron's args, so
/// <c>flame train --resume RUN</c> continues the training with our loop.
/// </para>
/// </summary>
public static class MegatronImporter
{
    public const string ProvenanceFile = "import.json";

    /// <param name="continueOn">The dataset to continue training on: import the optimizer's state and write run.json; null imports the weights only.</param>
    public static ImportResult Import(IReadOnlyList<string> checkpoints, string run, string? tokenizer, bool overwrite, Action<string> progress, string? continueOn = null)
    {
        var bpe = tokenizer is null ? null : TokenizerFiles.Load(tokenizer);
        run = Path.GetFullPath(run);
        InferredModel? model = null;
        var iterations = new List<long>();
        var sources = new JsonArray();
        var lastArgs = MegatronArgs.None;
        var lastIteration = 0L;
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
                var buffers = new ConversionBuffers();
                var weights = MegatronWeights.Map(tensors, inferred.Config, buffers, layer => progress($"  {layer}"));
                IReadOnlyList<PendingTensor> optimizer = [];
                if (continueOn is not null && OptimizerOf(tensors, inferred.Config, buffers, folder == checkpoints[^1], progress) is { } continued)
                {
                    (weights, optimizer) = continued;
                }

                var args = checkpoint.Args;
                var tokens = checkpoint.Iteration * (args.Long("global_batch_size") ?? 0) * (args.Long("seq_length") ?? 0);
                var state = new CheckpointState
                {
                    Step = checkpoint.Iteration,
                    TokensSeen = tokens,
                    Config = JsonNode.Parse(ModelConfigs.ToJson(inferred.Config))!,
                    Milestone = true,
                };
                store.Save(state, weights, optimizer);
                iterations.Add(checkpoint.Iteration);
                sources.Add(new JsonObject
                {
                    ["folder"] = Path.GetFullPath(folder),
                    ["iteration"] = checkpoint.Iteration,
                    ["megatron_args"] = !args.IsEmpty,
                    ["optimizer_state"] = optimizer.Count > 0,
                });
                lastArgs = args;
                lastIteration = checkpoint.Iteration;
            }

            if (continueOn is not null)
            {
                var options = MegatronTrainingOptions.From(lastArgs, Path.GetFullPath(continueOn), lastIteration);
                AtomicFile.WriteAllText(Path.Combine(staging, RunFiles.Options), JsonSerializer.Serialize(options, TrainingOptions.Json));
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

    // The fp32 master weights and Adam moments in our names; null for a checkpoint without them (only the one training continues from must have them).
    private static (IReadOnlyList<PendingTensor> Weights, IReadOnlyList<PendingTensor> Optimizer)? OptimizerOf(MegatronTensors tensors, ModelConfig config, ConversionBuffers buffers, bool required, Action<string> progress)
    {
        var firstMoment = tensors.OptimizerState("exp_avg");
        var secondMoment = tensors.OptimizerState("exp_avg_sq");
        if (firstMoment is null || secondMoment is null)
        {
            return required
                ? throw new InvalidDataException($"{tensors.Checkpoint.Folder} holds no optimizer state (optimizer.state.exp_avg.*, exp_avg_sq.*) to continue from: it was saved with --no-save-optim, or import without --with-optimizer")
                : null;
        }

        var masters = tensors.OptimizerState("fp32_param");
        if (masters is null)
        {
            progress("  note: no fp32_param in the optimizer's state; training continues from the bf16 weights");
        }

        IEnumerable<PendingTensor> State(MegatronTensors state, string what, Func<Parameter, string> name) =>
            MegatronWeights.Map(state, config, buffers, layer => progress($"  {what}: {layer}")).Select(t => t with { Name = name(new Parameter(t.Name, t.Shape)) });
        var weights = State(masters ?? tensors, masters is null ? "weights" : "fp32 master weights", p => p.Name).ToList();
        var moments = State(firstMoment, "exp_avg", p => p.FirstMoment).Concat(State(secondMoment, "exp_avg_sq", p => p.SecondMoment)).ToList();
        return (weights, moments);
    }
}
