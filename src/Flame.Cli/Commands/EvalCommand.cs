using System.CommandLine;
using System.Globalization;
using Flame.Data.Tokenization;
using Flame.Evaluation.Results;
using Flame.Evaluation.Scoring;
using Flame.Evaluation.Tasks;
using Flame.Runtime;

namespace Flame.Cli.Commands;

/// <summary>`flame eval`: lm-evaluation-harness tasks on forward graphs (one cell per model × task, resumable).</summary>
public static class EvalCommand
{
    public static Command Create()
    {
        var models = new Option<FileInfo[]>("--model")
        {
            Description = "Forward graphs to evaluate (.onnx with input_ids → logits, e.g. from `flame model export-graph`); repeat for several.",
            AllowMultipleArgumentsPerToken = true,
        };
        var run = new Option<DirectoryInfo?>("--run") { Description = "A training run folder: evaluate its checkpoints (RUN/checkpoints/iter_NNNNNNN)." };
        var checkpoints = new Option<string>("--checkpoints") { Description = "With --run: \"all\" or a comma-separated list of checkpoint names or steps.", DefaultValueFactory = _ => "all" };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "The models' tokenizer (tokenizer.json, .tiktoken, or a GPT-2 folder); default with --run: RUN/tokenizer.json." };
        var tasks = new Option<string>("--tasks")
        {
            Description = $"Comma-separated tasks ({string.Join(", ", TaskRegistry.All.Select(t => t.Name))}); \"flame\" = FLAME-MoE's six.",
            DefaultValueFactory = _ => "flame",
        };
        var data = new Option<DirectoryInfo?>("--data") { Description = "Folder with one subfolder of dataset files per task (docs/evaluation.md); without it only --dataset is evaluated." };
        var dataset = new Option<string?>("--dataset") { Description = "An indexed dataset prefix: also report loss and perplexity on its validation split." };
        var split = new Option<string>("--split") { Description = "train,valid,test weights of the split by document (seeded like training).", DefaultValueFactory = _ => "90,5,5" };
        var sequence = new Option<int>("--seq-len") { Description = "Tokens per validation window.", DefaultValueFactory = _ => 256 };
        var windows = new Option<int>("--windows") { Description = "Validation windows to score (at most).", DefaultValueFactory = _ => 64 };
        var output = new Option<DirectoryInfo>("--out") { Description = "Where results go (cells, results.csv, the harness's results_<date>.json per model, summary.md, accuracy.svg).", Required = true };
        var shots = new Option<int?>("--shots") { Description = "Few-shot examples for every task (default: each task's FLAME-MoE setting)." };
        var maxLength = new Option<int>("--max-length") { Description = "Context window in tokens; longer prompts are cut from the left.", DefaultValueFactory = _ => 2048 };
        var limit = new Option<int?>("--limit") { Description = "Score only the first N documents of each task (for a quick look)." };
        var seed = new Option<int>("--seed")
        {
            Description = $"Few-shot seed, as lm-evaluation-harness's --seed: {PromptBuilder.HarnessSeed} is its default; FLAME-MoE's published runs used 42.",
            DefaultValueFactory = _ => PromptBuilder.HarnessSeed,
        };
        var device = DeviceOption.Create();
        var precision = DeviceOption.CreatePrecision();
        precision.Description = "Score with matrix multiplies in fp32, fp16 or bf16 (CUDA only; FLAME-MoE's published evaluation ran in bf16); the routers stay fp32.";
        var shards = DeviceOption.CreateExpertShards("checkpoints of a --run only");
        var expertDevices = DeviceOption.CreateExpertDevices();
        var command = new Command("eval", "Evaluate models on zero/few-shot tasks with lm-evaluation-harness's prompts and metrics; finished cells are skipped on a re-run.")
        {
            models, run, checkpoints, tokenizer, tasks, data, output, shots, maxLength, limit, seed, dataset, split, sequence, windows, device, precision, shards, expertDevices,
        };
        command.SetAction(parseResult =>
        {
            var o = parseResult.InvocationConfiguration.Output;
            var runFolder = parseResult.GetValue(run)?.FullName;
            var files = parseResult.GetValue(models) ?? [];
            ModelRunners.CheckShardable(parseResult.GetValue(shards), files.Length);
            var settings = DeviceOption.Settings(parseResult, device);
            ModelRunners.CheckPrecision(parseResult.GetValue(precision)!, settings.Device, parseResult.GetValue(shards));
            var evaluated = EvaluatedModels(files, runFolder, parseResult.GetValue(checkpoints)!, settings, parseResult.GetValue(shards), DeviceOption.ExpertDevices(parseResult, expertDevices), parseResult.GetValue(precision)!);
            var bpe = TokenizerFiles.Load(parseResult.GetValue(tokenizer) ?? (runFolder is not null ? Path.Combine(runFolder, "tokenizer.json")
                : throw new ArgumentException("--tokenizer is required unless --run names a run with its tokenizer.json")));
            var dataRoot = parseResult.GetValue(data)?.FullName;
            var taskNames = dataRoot is null ? [] : parseResult.GetValue(tasks)! == "flame" ? TaskRegistry.FlameMoeSuite : parseResult.GetValue(tasks)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            var selected = taskNames.Select(TaskRegistry.Get).ToList();
            var validation = parseResult.GetValue(dataset);
            if (dataRoot is null && validation is null)
            {
                throw new ArgumentException("nothing to evaluate: give --data (task files) and/or --dataset (an indexed dataset for validation loss)");
            }
            var store = new EvaluationStore(parseResult.GetValue(output)!.FullName);
            foreach (var (name, index, open) in evaluated)
            {
                var pending = selected.Where(t => !store.Has(name, t.Name, parseResult.GetValue(shots) ?? t.DefaultShots, parseResult.GetValue(seed))).ToList();
                var validationPending = validation is not null && !store.Has(name, "validation");
                if (pending.Count == 0 && !validationPending)
                {
                    o.WriteLine($"{name}: every task already evaluated");
                    continue;
                }

                using var model = OpenOrWarn(open, name, runFolder is not null, parseResult.InvocationConfiguration.Error);
                if (model is null)
                {
                    continue;
                }

                var scorer = new OrtLogLikelihoodScorer(model, bpe, parseResult.GetValue(maxLength));
                if (validationPending)
                {
                    using var indexed = Flame.Data.Indexed.IndexedDataset.Open(validation!);
                    var (train, valid) = Flame.Data.Sampling.DocumentSplit.Parse(parseResult.GetValue(split)!);
                    var documents = Flame.Data.Sampling.DocumentSplit.Create(indexed.Count, train: train, valid: valid).Valid;
                    var loss = DatasetLoss.Evaluate(model, indexed, documents, parseResult.GetValue(sequence), parseResult.GetValue(windows));
                    store.Save(new EvaluationCell(name, index, loss));
                    o.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"  {name} / validation: loss {loss.Metrics["loss"].Value:F4} ± {loss.Metrics["loss"].StandardError:F4}, perplexity {loss.Metrics["perplexity"].Value:F2} ({loss.Documents} windows)"));
                }

                foreach (var task in pending)
                {
                    var docs = TaskDataFiles.Load(task, dataRoot!, task.EvaluationSplit);
                    if (parseResult.GetValue(limit) is { } n)
                    {
                        docs = docs.Take(n).ToList();
                    }

                    var taskShots = parseResult.GetValue(shots) ?? task.DefaultShots;
                    var pool = taskShots > 0 ? TaskDataFiles.Load(task, dataRoot!, task.FewShotSplit) : [];
                    var requests = docs.Sum(d => d.Choices.Count);
                    var result = TaskEvaluator.Evaluate(new PromptBuilder(task, pool, taskShots, parseResult.GetValue(seed)), docs, scorer,
                        new SyncProgress<int>(done => { if (done == requests || done % 256 == 0) o.Write($"\r  {name} / {task.Name}: {done}/{requests} requests"); }));
                    o.WriteLine();
                    store.Save(new EvaluationCell(name, index, result));
                    o.WriteLine("  " + string.Join(", ", result.Metrics.OrderBy(m => m.Key, StringComparer.Ordinal)
                        .Select(m => string.Create(CultureInfo.InvariantCulture, $"{m.Key} {m.Value.Value:F4} ± {m.Value.StandardError:F4}"))));
                }
            }

            EvaluationReportWriter.WriteAll(store.Directory, store.All());
            o.WriteLine($"results: {Path.Combine(store.Directory, "results.csv")}, summary: {Path.Combine(store.Directory, "summary.md")}");
            return 0;
        });
        return command;
    }

    /// <summary>Opens a model; with a run, a damaged model is named and passed over (null) so the others are still evaluated.</summary>
    private static IModelRunner? OpenOrWarn(Func<IModelRunner> open, string name, bool passOverDamaged, TextWriter error)
    {
        try
        {
            return open();
        }
        catch (InvalidDataException e) when (passOverDamaged)
        {
            error.WriteLine($"warning: {name} is damaged and was not evaluated: {e.Message}");
            return null;
        }
    }

    /// <summary>What to evaluate, in order: model files (steps 0, 1, ...), then a run's checkpoints (their steps).</summary>
    private static List<(string Name, long Step, Func<IModelRunner> Open)> EvaluatedModels(FileInfo[] files, string? run, string checkpoints, SessionSettings settings, int shards, string[]? shardDevices, string precision)
    {
        var models = files.Select((f, i) => (Path.GetFileNameWithoutExtension(f.Name), (long)i, ModelRunners.FromFile(f.FullName, settings, precision))).ToList();
        if (run is not null)
        {
            var store = new Flame.Training.Checkpoints.CheckpointStore(run);
            var steps = store.Steps();
            if (steps.Count == 0)
            {
                throw new ArgumentException($"{store.Folder} has no complete checkpoints (iter_NNNNNNN with state.json)");
            }

            var wanted = checkpoints == "all" ? steps : checkpoints.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                .Select(c => long.TryParse(c.StartsWith("iter_", StringComparison.Ordinal) ? c[5..] : c, out var step) && steps.Contains(step)
                    ? step
                    : throw new ArgumentException($"checkpoint '{c}' is not in {store.Folder}; it has {string.Join(", ", steps.Select(Flame.Training.Checkpoints.CheckpointStore.NameOf))}"))
                .ToList();
            models.AddRange(wanted.Select(step => (Flame.Training.Checkpoints.CheckpointStore.NameOf(step), step, ModelRunners.FromCheckpoint(store, step, settings, shards, shardDevices, precision))));
        }

        return models.Count > 0 ? models : throw new ArgumentException("nothing to evaluate: give --model files and/or --run");
    }
}
