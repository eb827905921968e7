using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using Flame.ModelGraphs.Config;
using Flame.Training.Distributed;
using Flame.Training.Loop;
using Flame.Training.Losses;

namespace Flame.Cli.Commands;

/// <summary>`flame train`: train a model on an indexed dataset, or resume a run.</summary>
public static class TrainCommand
{
    public static Command Create()
    {
        var config = new Option<string>("--config") { Description = "Model config: a preset name (flame-moe-38m, tiny-moe, ...; see `flame model info`) or a JSON file.", DefaultValueFactory = _ => "tiny-moe" };
        var set = new Option<string[]>("--set") { Description = "Override a config field, e.g. --set layers=4 (repeatable).", AllowMultipleArgumentsPerToken = true };
        var data = new Option<string?>("--data") { Description = "Indexed dataset prefix (PREFIX.bin/.idx from `flame data tokenize`)." };
        var run = new Option<string?>("--run") { Description = "Run directory (default artifacts/runs/CONFIG)." };
        var resume = new Option<string?>("--resume") { Description = "Continue the run in this directory from its latest checkpoint (other options are the run's, except --steps)." };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "tokenizer.json to keep with the run (evaluation, traces and export read it)." };
        var defaults = new TrainingOptions { Dataset = "", Steps = 1 };
        var steps = new Option<long?>("--steps") { Description = "Optimizer steps (required for a new run; with --resume, extends the run)." };
        var sequence = new Option<int>("--seq") { Description = "Sequence length.", DefaultValueFactory = _ => defaults.SequenceLength };
        var microBatch = new Option<int>("--micro-batch") { Description = "Sequences per micro-batch.", DefaultValueFactory = _ => defaults.MicroBatch };
        var accumulation = new Option<int>("--accumulation") { Description = "Micro-batches per optimizer step.", DefaultValueFactory = _ => defaults.Accumulation };
        var lr = new Option<double>("--lr") { Description = "Peak learning rate (WSD schedule: 1% warmup, last 10% decay).", DefaultValueFactory = _ => defaults.LearningRate };
        var minLr = new Option<double?>("--min-lr") { Description = "Learning rate at the end of the decay (default lr/10)." };
        var warmup = new Option<double>("--warmup") { Description = "Warmup fraction of the steps.", DefaultValueFactory = _ => defaults.WarmupFraction };
        var decay = new Option<double>("--decay") { Description = "Decay fraction of the steps.", DefaultValueFactory = _ => defaults.DecayFraction };
        var seed = new Option<ulong>("--seed") { Description = "Seed of weights, data order and split.", DefaultValueFactory = _ => defaults.Seed };
        var validEvery = new Option<int>("--valid-every") { Description = "Validate every N steps (0: at the end only).", DefaultValueFactory = _ => defaults.ValidEvery };
        var validBatches = new Option<int>("--valid-batches") { Description = "Micro-batches per validation.", DefaultValueFactory = _ => defaults.ValidBatches };
        var checkpointEvery = new Option<int>("--checkpoint-every") { Description = "Checkpoint every N steps (0: ten per run).", DefaultValueFactory = _ => defaults.CheckpointEvery };
        var keepLast = new Option<int>("--keep-last") { Description = "Regular checkpoints kept (milestones are always kept).", DefaultValueFactory = _ => defaults.KeepLast };
        var milestones = new Option<int>("--milestones") { Description = "Evenly spaced checkpoints never pruned.", DefaultValueFactory = _ => defaults.Milestones };
        var aux = new Option<double>("--aux-loss-coef") { Description = "Load-balancing loss coefficient (0 turns it off).", DefaultValueFactory = _ => LossSettings.Default.LoadBalancing };
        var z = new Option<double>("--z-loss-coef") { Description = "Router z-loss coefficient.", DefaultValueFactory = _ => LossSettings.Default.ZLoss };
        var threads = new Option<int>("--threads") { Description = "Threads per operator (0: one per core).", DefaultValueFactory = _ => 0 };
        var device = DeviceOption.Create("with --resume, continue on this device");
        var shards = DeviceOption.CreateExpertShards("with --data-parallel, each shard on a rank of its own (docs/distributed.md)");
        var expertDevices = DeviceOption.CreateExpertDevices();
        var precision = DeviceOption.CreatePrecision();
        var noRecompute = DeviceOption.CreateNoRecompute();
        var logEvery = new Option<int>("--log-every") { Description = "Print a progress line every N steps (the CSV log has every step).", DefaultValueFactory = _ => 10 };
        var dataParallel = new Option<bool>("--data-parallel") { Description = "Train as one rank of an MPI job (mpirun -np N flame train ... --data-parallel, or srun): each rank computes its share of every step's micro-batches (--accumulation counts them over all ranks), gradients are summed in rank order, rank 0 writes logs and checkpoints. See docs/distributed.md." };
        var collectiveTimeout = new Option<int>("--collective-timeout") { Description = "With --data-parallel: seconds a rank waits for the others in any exchange before the whole job stops (a rank died or hangs).", DefaultValueFactory = _ => 600 };

        var command = new Command("train", "Train a FLAME-MoE model (or its dense baseline) on an indexed dataset with ONNX Runtime; logs to RUN/logs/train.csv, checkpoints to RUN/checkpoints/.")
        {
            config, set, data, run, resume, tokenizer, steps, sequence, microBatch, accumulation, lr, minLr, warmup, decay, seed,
            validEvery, validBatches, checkpointEvery, keepLast, milestones, aux, z, threads, device, shards, expertDevices, precision, logEvery,
            dataParallel, collectiveTimeout, noRecompute,
        };
        command.SetAction(parseResult =>
        {
            if (!parseResult.GetValue(dataParallel))
            {
                return Train(parseResult, SingleProcessGroup.Instance);
            }

            var seconds = parseResult.GetValue(collectiveTimeout);
            if (seconds <= 0)
            {
                throw new ArgumentException($"--collective-timeout must be a positive number of seconds (got {seconds})");
            }

            using var group = MpiProcessGroup.Join(TimeSpan.FromSeconds(seconds));
            try
            {
                return Train(parseResult, group);
            }
            catch (Exception exception) when (group.Size > 1)
            {
                // The other ranks would wait for this one until their timeout: say why, then end the job.
                var error = parseResult.InvocationConfiguration.Error;
                error.WriteLine($"flame: rank {group.Rank} of {group.Size} failed; stopping every rank (the last checkpoint is intact: continue with --resume)");
                var code = ErrorReport.Write(exception, error);
                error.Flush();
                if (group.Rank != 0)
                {
                    // An error every rank meets (bad options) is rank 0's to end the job on, once it has
                    // cleaned up (a new run's folder, the run lock): aborting first would kill it midway.
                    Thread.Sleep(LeaderCleanup);
                }

                group.Abort(code);
                return code;
            }
        });
        return command;

        int Train(ParseResult parseResult, IProcessGroup group)
        {
            // Rank 0 speaks for the job; the others print only their errors.
            var output = group.IsLeader ? parseResult.InvocationConfiguration.Output : TextWriter.Null;
            Trainer trainer;
            RunLock? runLock;
            if (parseResult.GetValue(resume) is { } resumed)
            {
                static T? Given<T>(ParseResult result, Option<T> option) where T : notnull => result.GetResult(option) is { Implicit: false } ? result.GetValue(option) : default;
                var resumedDevice = Given(parseResult, device) is null ? null : DeviceOption.Device(parseResult, device).ToString();
                var resumedShards = Given(parseResult, shards) is > 0 and var s ? s : (int?)null;
                (runLock, trainer) = Locked(resumed, "train --resume", removeOnFailure: false, group,
                    () => Trainer.Resume(resumed, parseResult.GetValue(steps), resumedDevice, resumedShards, parseResult.InvocationConfiguration.Error.WriteLine, group));

                output.WriteLine($"resuming {resumed} at step {trainer.Step} of {trainer.Options.Steps}");
            }
            else
            {
                var model = ModelConfigs.Load(parseResult.GetValue(config)!, parseResult.GetValue(set));
                if (parseResult.GetValue(tokenizer) is { } tokenizerPath && Flame.Data.Tokenization.TokenizerFiles.Load(tokenizerPath).VocabularySize is var size && size > model.VocabSize)
                {
                    throw new ArgumentException($"{tokenizerPath} has {size} tokens but config '{model.Name}' has vocab_size {model.VocabSize}: add --set vocab_size={size}");
                }

                var options = new TrainingOptions
                {
                    Dataset = parseResult.GetValue(data) ?? throw new ArgumentException("--data is required for a new run (or --resume RUN)"),
                    Steps = parseResult.GetValue(steps) ?? throw new ArgumentException("--steps is required for a new run"),
                    SequenceLength = parseResult.GetValue(sequence),
                    MicroBatch = parseResult.GetValue(microBatch),
                    Accumulation = parseResult.GetValue(accumulation),
                    LearningRate = parseResult.GetValue(lr),
                    MinLearningRate = parseResult.GetValue(minLr),
                    WarmupFraction = parseResult.GetValue(warmup),
                    DecayFraction = parseResult.GetValue(decay),
                    Seed = parseResult.GetValue(seed),
                    ValidEvery = parseResult.GetValue(validEvery),
                    ValidBatches = parseResult.GetValue(validBatches),
                    CheckpointEvery = parseResult.GetValue(checkpointEvery),
                    KeepLast = parseResult.GetValue(keepLast),
                    Milestones = parseResult.GetValue(milestones),
                    Losses = new LossSettings(parseResult.GetValue(aux), parseResult.GetValue(z)),
                    Threads = parseResult.GetValue(threads),
                    Device = DeviceOption.Device(parseResult, device).ToString(),
                    ExpertShards = parseResult.GetValue(shards),
                    ExpertDevices = DeviceOption.ExpertDevices(parseResult, expertDevices),
                    Precision = parseResult.GetValue(precision)!,
                    Recompute = !parseResult.GetValue(noRecompute),
                };
                var folder = parseResult.GetValue(run) ?? Path.Combine("artifacts", "runs", model.Name);
                // A new run that fails before its first step leaves no half-made run directory behind.
                var fresh = !Directory.Exists(folder) || !Directory.EnumerateFileSystemEntries(folder).Any();
                (runLock, trainer) = Locked(folder, "train", removeOnFailure: fresh, group, () => Trainer.Create(folder, model, options, parseResult.GetValue(tokenizer), group));

                output.WriteLine($"training {model.Name} ({ParameterCount.Of(model).Total / 1e6:F1}M parameters, {ParameterCount.Of(model).Active / 1e6:F1}M active) in {folder}");
            }

            if (group.Size > 1)
            {
                output.WriteLine($"data-parallel over {group.Size} ranks: {trainer.Options.Accumulation / group.Size} of the {trainer.Options.Accumulation} micro-batches of each step per rank");
            }

            using (runLock)
            using (trainer)
            {
                // SIGINT (Ctrl+C) and SIGTERM (what SLURM, Kubernetes and timeout send first) both finish
                // the current step, save a checkpoint and exit 130 / 143; a second signal ends the process.
                using var cancellation = new CancellationTokenSource();
                var signal = 0;
                void Stop(PosixSignalContext context)
                {
                    if (Interlocked.CompareExchange(ref signal, (int)context.Signal, 0) != 0)
                    {
                        return;   // the second signal: default handling ends the process
                    }

                    context.Cancel = true;
                    cancellation.Cancel();
                    Console.Error.WriteLine($"{context.Signal}: stopping after this step (a checkpoint is saved); signal again to abort");
                }

                using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
                using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
                // Open MPI gives rank 0 a terminal even when the job's output goes to a file: plain lines there.
                var printer = new TrainingProgressPrinter(output, parseResult.GetValue(logEvery), plain: group.Size > 1);
                var first = trainer.Step;
                var last = trainer.Train(printer, cancellation: cancellation.Token);
                if (group.Size > 1 && trainer.Step > first)
                {
                    var steps = (double)(trainer.Step - first);
                    output.WriteLine($"rank 0 sent {group.BytesSent / steps / (1 << 20):F1} MiB per step to the other ranks and spent {group.TimeInCollectives.TotalMilliseconds / steps:F1} ms per step in exchanges (moving data and waiting for the slowest rank)");
                }
                output.WriteLine(last is null
                    ? $"nothing to do: {trainer.Run} is at step {trainer.Step} of {trainer.Options.Steps}"
                    : $"{(trainer.Step < trainer.Options.Steps ? "stopped" : "done")}: step {last.Step}, lm loss {last.LanguageModelLoss:F4}{(last.ValidationLoss is { } v ? $", validation loss {v:F4}" : "")}");
                output.WriteLine($"log: {RunFiles.TrainLog(trainer.Run)}; checkpoints: {Path.Combine(trainer.Run, "checkpoints")}");
                // Stopped by a signal here, or (data-parallel) on another rank: every rank then exits as signalled.
                if ((cancellation.IsCancellationRequested || trainer.StopRequested) && trainer.Step < trainer.Options.Steps)
                {
                    output.WriteLine($"the run is unfinished (step {trainer.Step} of {trainer.Options.Steps}): continue with `flame train --resume {trainer.Run}`");
                    return (PosixSignal)signal == PosixSignal.SIGINT ? 130 : 143;
                }
            }

            return 0;
        }
    }

    /// <summary>How long a failed rank other than 0 leaves rank 0 to clean up and end the job itself.</summary>
    private static readonly TimeSpan LeaderCleanup = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Opens a trainer under the run's lock (rank 0 holds it for the job); if opening fails, the
    /// lock goes (and, asked, the folder).
    /// </summary>
    private static (RunLock? Lock, Trainer Trainer) Locked(string run, string command, bool removeOnFailure, IProcessGroup group, Func<Trainer> open)
    {
        var runLock = group.IsLeader ? RunLock.Acquire(run, command) : null;
        try
        {
            return (runLock, open());
        }
        catch
        {
            runLock?.Dispose();
            if (removeOnFailure && group.IsLeader && Directory.Exists(run))
            {
                Directory.Delete(run, recursive: true);
            }

            throw;
        }
    }
}

/// <summary>
/// One line per N steps: losses, grad norm, learning rate, throughput, expert balance and the
/// time left; coloured by Spectre.Console on an interactive terminal, plain text otherwise.
/// </summary>
internal sealed class TrainingProgressPrinter(TextWriter output, int every, bool plain = false) : IProgress<StepReport>
{
    private readonly bool _interactive = !plain && ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected;

    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
    private long _first = -1;

    public void Report(StepReport r)
    {
        if (_first < 0)
        {
            _first = r.Step - 1;
        }

        if (r.Step % Math.Max(1, every) != 0 && r.Step != r.TotalSteps && r.ValidationLoss is null)
        {
            return;
        }

        var done = r.Step - _first;
        var left = TimeSpan.FromSeconds(_clock.Elapsed.TotalSeconds / Math.Max(1, done) * (r.TotalSteps - r.Step));
        var balance = r.ExpertLoads.Count > 0
            ? $" | load max/mean {r.ExpertLoads.Average(l => l.MaxOverMean):F2} entropy {r.ExpertLoads.Average(l => l.NormalizedEntropy):F3}"
            : "";
        var line = string.Create(CultureInfo.InvariantCulture,
            $"step {r.Step,6}/{r.TotalSteps} [{100.0 * r.Step / r.TotalSteps,5:F1}%] | lm {r.LanguageModelLoss:F4} | aux {r.LoadBalancingLoss:F4} | z {r.ZLoss:F3} | grad {r.GradNorm:F3} | lr {r.LearningRate:0.00e+0} | {r.TokensPerSecond:N0} tok/s{balance}{(r.ValidationLoss is { } v ? $" | valid {v:F4}" : "")} | eta {left:hh\\:mm\\:ss}");
        if (!_interactive)
        {
            output.WriteLine(line);
            return;
        }

        // Progress bar, then the metrics with the losses highlighted.
        const int width = 20;
        var filled = (int)(width * r.Step / Math.Max(1, r.TotalSteps));
        var markup = Spectre.Console.Markup.Escape(line)
            .Replace($"lm {r.LanguageModelLoss.ToString("F4", CultureInfo.InvariantCulture)}", $"lm [bold yellow]{r.LanguageModelLoss.ToString("F4", CultureInfo.InvariantCulture)}[/]", StringComparison.Ordinal);
        if (r.ValidationLoss is { } valid)
        {
            var text = valid.ToString("F4", CultureInfo.InvariantCulture);
            markup = markup.Replace($"valid {text}", $"valid [bold green]{text}[/]", StringComparison.Ordinal);
        }

        Spectre.Console.AnsiConsole.MarkupLine($"[blue]{new string('█', filled)}[/][grey]{new string('░', width - filled)}[/] {markup}");
    }
}
