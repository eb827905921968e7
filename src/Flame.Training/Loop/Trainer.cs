using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Flame.Data.Indexed;
using Flame.Data.Sampling;
using Flame.ModelGraphs.Builder;
using Flame.ModelGraphs.Config;
using Flame.ModelGraphs.Model;
using Flame.Onnx.IO;
using Flame.Onnx.SafeTensors;
using Flame.Runtime;
using Flame.Training.Artifacts;
using Flame.Training.Checkpoints;
using Flame.Training.Distributed;
using Flame.Training.Losses;
using Flame.Training.Optimization;
using Flame.Training.Parallel;
using Flame.Training.Schedule;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using CheckpointState = Flame.Training.Checkpoints.CheckpointState;

namespace Flame.Training.Loop;

/// <summary>
/// The training loop on ONNX Runtime: training_model.onnx computes losses and accumulated
/// gradients for each micro-batch, optimizer_model.onnx applies clipping and AdamW, and the
/// weights, gradients and moments stay in ORT-owned tensors bound by IOBinding (only the batch
/// goes in and scalars come out). Validation runs eval_model.onnx on the same weight tensors.
/// Checkpoints hold everything a run needs to continue bit-identically: weights, moments,
/// step, tokens, the data cursor. Under data parallelism (an <see cref="IProcessGroup"/> of
/// several ranks) each rank computes the gradients of its share of every step's micro-batches,
/// the ranks sum them in rank order, and every rank takes the same optimizer step; rank 0 alone
/// writes the run's files, logs and checkpoints, which do not depend on the number of ranks.
/// </summary>
public sealed class Trainer : IDisposable
{
    private readonly string _run;
    private readonly ModelConfig _config;
    private readonly TrainingOptions _options;
    private readonly IReadOnlyList<ParameterSpec> _parameters;
    private readonly int[] _moeLayers;
    private readonly CheckpointStore _store;
    private readonly WsdSchedule _schedule;
    private readonly IndexedDataset _dataset;
    private readonly DocumentSplit _split;
    private readonly GptSampler _sampler;
    private readonly List<ParameterHome> _homes;
    private readonly IProcessGroup _group;
    private readonly IProcessGroup _experts;          // with experts across ranks: the ranks that hold one copy of every expert between them, shard = rank in it
    private readonly IProcessGroup _expertReplicas;   // and the ranks that hold the same shard (one per copy)
    private LossScaler _scaler;
    private long _step;
    private long _tokens;

    private Trainer(string run, ModelConfig config, TrainingOptions options, LoadedCheckpoint? checkpoint, IProcessGroup group)
    {
        _run = run;
        _config = config;
        _options = options.Validate();
        _group = group;
        (_experts, _expertReplicas) = ExpertsAcrossRanks
            ? (group.Split(group.Rank / options.ExpertShards, "forming the expert-parallel groups"), group.Split(group.Rank % options.ExpertShards, "forming the groups of expert replicas"))
            : (SingleProcessGroup.Instance, SingleProcessGroup.Instance);
        _parameters = FlameMoeModel.Build(config, new ForwardOptions(WeightsAs.Inputs)).Parameters;
        _moeLayers = Enumerable.Range(config.DenseLayers, Math.Max(0, config.Layers - config.DenseLayers)).Where(_ => config.Experts > 0).ToArray();
        _store = new CheckpointStore(run, options.KeepLast);
        _schedule = new WsdSchedule(options.Steps, options.LearningRate, options.MinimumLearningRate, options.WarmupFraction, options.DecayFraction);
        _dataset = IndexedDataset.Open(options.Dataset);
        _split = DocumentSplit.Create(_dataset.Count, options.Seed, options.TrainFraction, options.ValidFraction);
        var cursor = checkpoint?.State.DataCursor?.Deserialize<SamplerCursor>(CheckpointState.Json);
        _sampler = new GptSampler(_dataset, _split.Train, options.SequenceLength, options.Seed, cursor);

        _scaler = options.Precision == "fp16" ? LossScaler.Dynamic(options.InitialLossScale) : LossScaler.Fixed;
        _homes = CreateHomes(_parameters, config, options, group);
        if (checkpoint is null)
        {
            for (var i = 0; i < _parameters.Count; i++)
            {
                Distribute(i, WeightInitializer.Create(_parameters[i], options.Seed), h => h.Weights);
            }
        }
        else
        {
            LoadCheckpoint(checkpoint);
        }
    }

    /// <summary>The run directory.</summary>
    public string Run => _run;

    /// <summary>Optimizer steps taken so far.</summary>
    public long Step => _step;

    public ModelConfig Config => _config;

    public TrainingOptions Options => _options;

    /// <summary>The ranks training this run (one process unless launched data-parallel).</summary>
    public IProcessGroup Group => _group;

    /// <summary>
    /// Expert shards spread over the ranks, one each: rank r holds shard r mod S's experts only,
    /// and every S consecutive ranks hold one copy of all experts (Megatron's expert-parallel
    /// group); the copies are data-parallel replicas of each other.
    /// </summary>
    private bool ExpertsAcrossRanks => _group.Size > 1 && _options.ExpertShards > 1;

    /// <summary>With experts across ranks, the first copy's ranks give rank 0 their shards for checkpoints and validation.</summary>
    private bool GivesShardsToRankZero => ExpertsAcrossRanks && _group.Rank < _options.ExpertShards;

    /// <summary>
    /// Starts a new run in <paramref name="run"/>: writes its settings, the three graphs and the
    /// tokenizer (when given), and initialises the weights from the seed. With a
    /// <paramref name="group"/> of several ranks every rank calls this; rank 0 writes.
    /// </summary>
    public static Trainer Create(string run, ModelConfig config, TrainingOptions options, string? tokenizer = null, IProcessGroup? group = null)
    {
        group ??= SingleProcessGroup.Instance;
        config = config.Validate();
        options = options.Validate();
        CheckWorld(options, group);
        if (new CheckpointStore(run).LatestStep() is { } existing)
        {
            throw new InvalidOperationException($"{run} already holds a run (checkpoint at step {existing}); resume it with --resume or choose another directory");
        }

        if (options.ExpertShards > 1)
        {
            Flame.ModelGraphs.Parallel.ExpertParallelGraphs.Check(config, options.ExpertShards);   // before anything is written
        }

        if (options.SequenceLength > config.MaxSequenceLength)
        {
            throw new ArgumentException($"sequence length {options.SequenceLength} exceeds the model's max_seq_len {config.MaxSequenceLength}");
        }

        group.Barrier("checking the run directory");   // every rank has seen it empty before rank 0 writes
        if (group.IsLeader)
        {
            Directory.CreateDirectory(run);
            AtomicFile.WriteAllText(Path.Combine(run, RunFiles.Config), ModelConfigs.ToJson(config));
            AtomicFile.WriteAllText(Path.Combine(run, RunFiles.Options), JsonSerializer.Serialize(options, TrainingOptions.Json));
            WriteArtifacts(run, config, options);
            if (tokenizer is not null && Path.GetFullPath(tokenizer) != Path.GetFullPath(Path.Combine(run, RunFiles.Tokenizer)))
            {
                AtomicFile.WriteAllBytes(Path.Combine(run, RunFiles.Tokenizer), File.ReadAllBytes(tokenizer));
            }
        }

        group.Barrier("writing the run's settings and graphs");
        return new Trainer(run, config, options, null, group);
    }

    /// <summary>The step's micro-batches are shared out evenly: the same global batch whatever the number of ranks.</summary>
    private static void CheckWorld(TrainingOptions options, IProcessGroup group)
    {
        if (options.Accumulation % group.Size != 0)
        {
            throw new ArgumentException($"--accumulation {options.Accumulation} (micro-batches per optimizer step, over all ranks) must be a multiple of the {group.Size} ranks: each rank takes accumulation / ranks of them");
        }

        if (group.Size > 1 && options.ExpertDevices is not null)
        {
            throw new ArgumentException("--expert-devices places experts within one process; with --data-parallel the ranks hold them (leave --expert-devices out)");
        }

        if (group.Size > 1 && options.ExpertShards > 1 && group.Size % options.ExpertShards != 0)
        {
            throw new ArgumentException($"with --data-parallel, --expert-shards {options.ExpertShards} spreads each copy of the experts over that many ranks, one shard each: launch a multiple of {options.ExpertShards} ranks (got {group.Size}), or leave --expert-shards out for data parallelism alone");
        }
    }

    /// <summary>
    /// Continues a run from its latest checkpoint; <paramref name="steps"/> may extend it, and it may
    /// continue on another <paramref name="device"/> or <paramref name="expertShards"/> count (both change
    /// only where the numbers are computed, not what they are).
    /// </summary>
    /// <param name="warn">Told of each damaged checkpoint passed over for an earlier intact one (default: standard error).</param>
    public static Trainer Resume(string run, long? steps = null, string? device = null, int? expertShards = null, Action<string>? warn = null, IProcessGroup? group = null)
    {
        group ??= SingleProcessGroup.Instance;
        var optionsPath = Path.Combine(run, RunFiles.Options);
        if (!File.Exists(optionsPath))
        {
            throw new FileNotFoundException($"{run} is not a training run: {RunFiles.Options} is missing", optionsPath);
        }

        var options = JsonSerializer.Deserialize<TrainingOptions>(File.ReadAllText(optionsPath), TrainingOptions.Json)
            ?? throw new InvalidDataException($"{optionsPath} is empty");
        var config = ModelConfigs.Load(Path.Combine(run, RunFiles.Config));
        var changed = options with { Steps = steps ?? options.Steps, Device = device ?? options.Device, ExpertShards = expertShards ?? options.ExpertShards };
        var rewrite = changed != options;
        options = rewrite ? changed.Validate() : options;
        CheckWorld(options, group);

        var store = new CheckpointStore(run, options.KeepLast);
        _ = store.LatestStep() ?? throw new InvalidOperationException($"{run} has no checkpoint to resume from");
        var checkpoint = store.LoadNewestIntact(group.IsLeader ? warn ?? Console.Error.WriteLine : _ => { });
        // The graphs follow from the config and options: rebuilt on every resume, so a run started
        // by an older build continues with this build's graphs (and their inputs), never a mix.
        group.Barrier("reading the checkpoint");
        if (group.IsLeader)
        {
            WriteArtifacts(run, config, options);
        }

        group.Barrier("writing the run's graphs");

        // run.json changes only once the run has opened on its (new) device: a failed resume leaves it as it was.
        var trainer = new Trainer(run, config, options, checkpoint, group);
        if (rewrite && group.IsLeader)
        {
            AtomicFile.WriteAllText(optionsPath, JsonSerializer.Serialize(options, TrainingOptions.Json));
        }

        return trainer;
    }

    private static void WriteArtifacts(string run, ModelConfig config, TrainingOptions options)
    {
        var parameters = FlameMoeModel.Build(config, new ForwardOptions(WeightsAs.Inputs)).Parameters;
        AtomicFile.WriteAllBytes(Path.Combine(run, RunFiles.TrainingModel), TrainingModel.Build(config, options.Losses, precision: options.Precision, recompute: options.Recompute).ToByteArray());
        AtomicFile.WriteAllBytes(Path.Combine(run, RunFiles.EvalModel), EvalModel.Build(config, losses: options.Losses).ToByteArray());
        var optimizer = AdamWGraph.Build(parameters.Select(p => new Parameter(p.Name, p.Shape)).ToList(), options.Optimizer, skipNonFinite: options.Precision == "fp16");
        AtomicFile.WriteAllBytes(Path.Combine(run, RunFiles.OptimizerModel), optimizer.ToByteArray());
    }

    private void LoadCheckpoint(LoadedCheckpoint checkpoint)
    {
        _step = checkpoint.State.Step;
        if (checkpoint.State.LossScale is { } scale)
        {
            _scaler = LossScaler.Dynamic(scale, checkpoint.State.LossScaleGoodSteps);
        }

        _tokens = checkpoint.State.TokensSeen;
        using var weights = checkpoint.OpenWeights();
        using var optimizer = checkpoint.OpenOptimizer();
        for (var i = 0; i < _parameters.Count; i++)
        {
            var p = _parameters[i];
            Distribute(i, Read(weights, p.Name, p.Shape), h => h.Weights);
            Distribute(i, Read(optimizer, new Parameter(p.Name, p.Shape).FirstMoment, p.Shape), h => h.FirstMoments);
            Distribute(i, Read(optimizer, new Parameter(p.Name, p.Shape).SecondMoment, p.Shape), h => h.SecondMoments);
        }
    }

    private static ReadOnlySpan<float> Read(SafeTensorsFile file, string name, long[] shape) =>
        System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(file.ReadExpected(name, "F32", shape));

    /// <summary>
    /// Trains until the run's last step (or <paramref name="stopAfter"/>, or cancellation: then
    /// the run stops after the current step and saves a checkpoint).
    /// </summary>
    public StepReport? Train(IProgress<StepReport>? progress = null, long? stopAfter = null, CancellationToken cancellation = default)
    {
        // One shared arena; memory patterns only where shapes repeat. An MoE step's expert batches change
        // shape every step, and the patterns ORT plans for them cost 0.9 GB on flame-moe-38m for no speed;
        // a dense step repeats its shapes and runs about 5 % faster with them (docs/benchmarks.md).
        var threads = _options.Threads > 0 ? _options.Threads : _group.DefaultThreads;
        var settings = new SessionSettings { IntraOpThreads = threads, Device = _group.DeviceFor(ExecutionDevice.Parse(_options.Device)), SharedCpuArena = true, MemoryPattern = !_config.IsMoe };
        SessionSettings Profiled(string session) => _options.ProfilePrefix is { } prefix ? settings with { ProfilingPrefix = $"{prefix}-{session}" } : settings;   // ORT names profiles by the second: one prefix per session
        // The evaluation session opens at the first validation (a run without validation never holds it).
        Lazy<ModelSession>? evaluation = _group.IsLeader ? new(() => new ModelSession(Path.Combine(_run, RunFiles.EvalModel), settings)) : null;
        using var log = _group.IsLeader ? new TrainingLog(RunFiles.TrainLog(_run), _moeLayers, _step) : null;
        using var step = new StepTensors(_options, _config, _moeLayers);
        using var gradientStep = CreateGradientStep(Profiled("gradient"), step);
        OpenOptimizers(Profiled, step);
        // The trunk's gradients are summed over every rank; with experts across ranks, a shard's over the ranks holding the same shard.
        static IEnumerable<(ParameterHome, int)> Tensors(IEnumerable<ParameterHome> homes) => homes.SelectMany(h => Enumerable.Range(0, h.Pieces.Count).Select(slot => (h, slot)));
        var allReduce = _group.Size == 1 ? null : new GradientAllReduce(_group, Tensors(ExpertsAcrossRanks ? _homes.Take(1) : _homes));
        var expertAllReduce = ExpertsAcrossRanks && _expertReplicas.Size > 1 ? new GradientAllReduce(_expertReplicas, Tensors(_homes.Skip(1))) : null;
        try
        {
            // Building and loading the graphs leaves managed garbage (70 MB on flame-moe-38m): one compacting
            // collection hands it back before the steps' arena grows over it.
            System.Runtime.GCSettings.LargeObjectHeapCompactionMode = System.Runtime.GCLargeObjectHeapCompactionMode.CompactOnce;
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            return TrainSteps(step, gradientStep, [.. new[] { allReduce, expertAllReduce }.OfType<GradientAllReduce>()], evaluation, log, progress, stopAfter, cancellation);
        }
        finally
        {
            ProfileFiles = _options.ProfilePrefix is null ? [] : [.. gradientStep.EndProfiling(), .. _homes.Select(h => h.EndProfiling()).OfType<string>()];
            _homes.ForEach(h => h.CloseOptimizer());
            if (evaluation?.IsValueCreated == true)
            {
                evaluation.Value.Dispose();
            }
        }
    }

    private StepReport? TrainSteps(StepTensors step, IGradientStep gradientStep, IReadOnlyList<GradientAllReduce> allReduces, Lazy<ModelSession>? evaluation, TrainingLog? log, IProgress<StepReport>? progress, long? stopAfter, CancellationToken cancellation)
    {
        var last = stopAfter is { } stop ? Math.Min(stop, _options.Steps) : _options.Steps;
        var milestones = Enumerable.Range(1, Math.Max(0, _options.Milestones)).Select(k => (long)Math.Round((double)k * _options.Steps / _options.Milestones)).ToHashSet();
        StepReport? report = null;
        var micros = _options.Accumulation / _group.Size;   // this rank's share of each step's micro-batches
        var stopping = false;
        StopRequested = false;
        while (_step < last && !stopping && !(_group.Size == 1 && cancellation.IsCancellationRequested))
        {
            var clock = Stopwatch.StartNew();
            var sums = new double[4];
            var loads = new double[_moeLayers.Length][];
            _sampler.Skip(_group.Rank * micros * _options.MicroBatch);
            for (var micro = 0; micro < micros; micro++)
            {
                step.LoadBatch(_sampler.NextBatch(_options.MicroBatch));
                step.SetMicro((float)_scaler.Scale / _options.Accumulation, reset: micro == 0);
                gradientStep.Run(_homes);
                _homes.ForEach(h => h.Gradients.Swap());
                step.AddLosses(sums, loads);
            }

            _sampler.Skip((_group.Size - 1 - _group.Rank) * micros * _options.MicroBatch);
            stopping = CombineRanks(sums, loads, cancellation.IsCancellationRequested);
            foreach (var allReduce in allReduces)
            {
                allReduce.Run(_step + 1);
            }

            // The optimizer step in every home; spread over several, each clips by the global norm.
            var sumOfSquares = _homes.Count > 1 ? SumOfSquares() : 0;
            step.SetOptimizer((float)_schedule.LearningRate(_step + 1), _step + 1, (float)_scaler.Scale, sumOfSquares);
            _homes.ForEach(h => h.Step());
            _scaler.Update(step.GradientsFinite);   // a step with overflowing gradients changed nothing; the scale adapts
            _step++;
            var tokens = (long)_options.Accumulation * _options.MicroBatch * _options.SequenceLength;
            _tokens += tokens;
            var milliseconds = clock.Elapsed.TotalMilliseconds;

            double? validation = null;
            if ((_options.ValidEvery > 0 && _step % _options.ValidEvery == 0) || _step == _options.Steps)
            {
                validation = Validate(evaluation);
            }

            var a = _options.Accumulation;
            report = new StepReport(_step, _options.Steps, _tokens, sums[0] / a, sums[1] / a, sums[2] / a, sums[3] / a, step.GradNorm,
                _schedule.LearningRate(_step), tokens / (milliseconds / 1000), milliseconds,
                _moeLayers.Select((layer, k) => ExpertLoad.Of(layer, loads[k].Select(v => (float)(v / a)).ToArray())).ToList(), validation);
            log?.Write(report);
            if (_group.IsLeader)
            {
                progress?.Report(report);
            }

            stopping |= _group.Size == 1 && cancellation.IsCancellationRequested;   // alone, a signal during the optimizer step or validation counts too
            StopRequested |= stopping;
            if ((_group.IsLeader || GivesShardsToRankZero) && (_step % _options.CheckpointInterval == 0 || _step == _options.Steps || milestones.Contains(_step) || _step == last || stopping))
            {
                SaveCheckpoint(milestones.Contains(_step));
            }
        }

        return report;
    }

    /// <summary>
    /// Σ g² over every home, in home order (the trunk's, then each shard's), for clipping by the
    /// global norm; with experts across ranks the shards' sums come from their ranks, in rank order.
    /// </summary>
    private double SumOfSquares()
    {
        if (!ExpertsAcrossRanks)
        {
            return _homes.Sum(h => h.SumOfSquares());
        }

        var total = _homes[0].SumOfSquares();
        foreach (var shard in _experts.Gather<double>([_homes[1].SumOfSquares()], $"the gradient norm of step {_step + 1}"))
        {
            total += shard;
        }

        return total;
    }

    /// <summary>
    /// Adds the other ranks' loss sums and expert loads to this rank's (in rank order, so every
    /// rank reports the same numbers) and returns whether any rank was asked to stop: all stop
    /// after the same step.
    /// </summary>
    private bool CombineRanks(double[] sums, double[][] loads, bool stopRequested)
    {
        if (_group.Size == 1)
        {
            return stopRequested;
        }

        double[] mine = [.. sums, .. loads.SelectMany(l => l), stopRequested ? 1 : 0];
        var all = _group.Gather<double>(mine, $"the losses of step {_step + 1}");
        var combined = new double[mine.Length];
        for (var r = 0; r < _group.Size; r++)
        {
            for (var i = 0; i < mine.Length; i++)
            {
                combined[i] += all[r * mine.Length + i];
            }
        }

        combined.AsSpan(0, sums.Length).CopyTo(sums);
        var offset = sums.Length;
        foreach (var load in loads)
        {
            combined.AsSpan(offset, load.Length).CopyTo(load);
            offset += load.Length;
        }

        return combined[^1] > 0;
    }

    /// <summary>Whether the last <see cref="Train"/> stopped early because a stop was asked for, on this rank or another.</summary>
    public bool StopRequested { get; private set; }

    /// <summary>With <see cref="TrainingOptions.ProfilePrefix"/>: the ORT profiles the last <see cref="Train"/> wrote (gradient step and optimizer sessions).</summary>
    public IReadOnlyList<string> ProfileFiles { get; private set; } = [];

    // With experts sharded, the stages' graphs are built here (and written to stages/ for inspection): they are cheap to build and follow the shard count.
    private IGradientStep CreateGradientStep(SessionSettings settings, StepTensors step)
    {
        if (_options.ExpertShards <= 1)
        {
            return new WholeGraphStep(Path.Combine(_run, RunFiles.TrainingModel), settings, _parameters, step);
        }

        var stages = ExpertParallelTraining.Build(_config, _options.ExpertShards, _options.Losses, _options.Precision);
        return new ExpertParallelStep(stages, step, settings,
            _options.ExpertDevices is { } devices ? shard => settings with { Device = ExecutionDevice.Parse(devices[shard]) } : null,
            _group.IsLeader ? Path.Combine(_run, RunFiles.Stages) : null,
            ExpertsAcrossRanks ? new ExpertExchange(_experts, _config, _moeLayers) : null);
    }

    /// <summary>
    /// Mean language-model loss over the first ValidBatches windows of the validation split (the
    /// same ones every time), computed where <paramref name="evaluation"/> is open (rank 0); every
    /// rank calls it, since with experts across ranks the weights are gathered from all.
    /// </summary>
    private double? Validate(Lazy<ModelSession>? evaluation)
    {
        if (_options.ValidBatches == 0 || _split.Valid.Length == 0)
        {
            return null;
        }

        GptSampler sampler;
        try
        {
            sampler = new GptSampler(_dataset, _split.Valid, _options.SequenceLength, _options.Seed);
        }
        catch (ArgumentException)
        {
            return null;   // the validation split is shorter than one window
        }

        if (!_group.IsLeader && !GivesShardsToRankZero)
        {
            return null;
        }

        double total = 0;
        var batches = Math.Min(_options.ValidBatches, Math.Max(1, sampler.WindowsPerEpoch / _options.MicroBatch));
        var temporaries = new List<OrtValue>();
        var weights = FullWeights(temporaries);
        try
        {
            for (var b = 0; evaluation is not null && b < batches; b++)
            {
                total += ValidationLoss(evaluation.Value, weights, sampler);
            }
        }
        finally
        {
            temporaries.ForEach(t => t.Dispose());
        }

        return evaluation is null ? null : total / batches;
    }

    private double ValidationLoss(ModelSession evaluation, IReadOnlyDictionary<string, OrtValue> weights, GptSampler sampler)
    {
        {
            var (ids, targets) = StepTensors.Split(sampler.NextBatch(_options.MicroBatch), _options.MicroBatch, _options.SequenceLength);
            var inputs = new Dictionary<string, OrtValue>(weights);
            using var idValue = OrtValue.FromArray(ids, _options.MicroBatch, _options.SequenceLength);
            using var targetValue = OrtValue.FromArray(targets, _options.MicroBatch, _options.SequenceLength);
            inputs[FlameMoeModel.InputIds] = idValue;
            inputs[TrainingLosses.Targets] = targetValue;
            using var results = evaluation.Run(inputs, [TrainingLosses.LanguageModelLoss]);
            return results[TrainingLosses.LanguageModelLoss].ToArray<float>()[0];
        }
    }

    /// <summary>
    /// One home, or the trunk's plus one per expert shard: each shard's rows of the stacked expert
    /// tensors (the rank-3 parameters, E rows) live in a home of their own, on the devices given
    /// (expert_devices), or with experts across ranks only this rank's shard, on its device.
    /// </summary>
    private static List<ParameterHome> CreateHomes(IReadOnlyList<ParameterSpec> parameters, ModelConfig config, TrainingOptions options, IProcessGroup group)
    {
        var device = group.DeviceFor(ExecutionDevice.Parse(options.Device));
        var indexed = parameters.Select((p, i) => (Spec: p, Index: i)).ToList();
        (int Shard, ExecutionDevice Device)[] shards = options.ExpertDevices is { } devices ? [.. devices.Select((d, s) => (s, ExecutionDevice.Parse(d)))]
            : group.Size > 1 && options.ExpertShards > 1 ? [(group.Rank % options.ExpertShards, device)]
            : [];
        if (shards.Length == 0)
        {
            return [new ParameterHome([.. indexed.Select(t => new ParameterPiece(t.Spec.Name, t.Index, t.Spec.Shape, 0))], device, options.InPlace)];
        }

        bool IsExperts(ParameterSpec p) => p.Shape.Length == 3 && p.Shape[0] == config.Experts;
        var perShard = config.Experts / options.ExpertShards;
        var homes = new List<ParameterHome>
        {
            new([.. indexed.Where(t => !IsExperts(t.Spec)).Select(t => new ParameterPiece(t.Spec.Name, t.Index, t.Spec.Shape, 0))], device, options.InPlace),
        };
        foreach (var (s, shardDevice) in shards)
        {
            homes.Add(new ParameterHome(
                [.. indexed.Where(t => IsExperts(t.Spec)).Select(t => new ParameterPiece(t.Spec.Name, t.Index, [perShard, .. t.Spec.Shape[1..]], (long)s * perShard))],
                shardDevice, options.InPlace));
        }

        return homes;
    }

    /// <summary>Every piece of parameter <paramref name="index"/>, in row order, with its home and slot.</summary>
    private IEnumerable<(ParameterHome Home, int Slot, ParameterPiece Piece)> PiecesOf(int index) =>
        _homes.SelectMany(h => h.Pieces.Select((p, slot) => (Home: h, Slot: slot, Piece: p))).Where(t => t.Piece.Index == index).OrderBy(t => t.Piece.FirstRow);

    private long RowSize(int index) => _parameters[index].Shape.Skip(1).Aggregate(1L, (n, d) => n * d);

    /// <summary>Copies a whole parameter's values (host) into its pieces' tensors.</summary>
    private void Distribute(int index, ReadOnlySpan<float> values, Func<ParameterHome, ResidentTensors> tensors)
    {
        var row = RowSize(index);
        foreach (var (home, slot, piece) in PiecesOf(index))
        {
            tensors(home).Load(slot, values.Slice(checked((int)(piece.FirstRow * row)), checked((int)(piece.Shape[0] * row))));
        }
    }

    /// <summary>
    /// A whole parameter as a checkpoint tensor, its pieces joined in row order; a shard's rows
    /// held by other ranks come from them (every rank calls this then, in the same order).
    /// </summary>
    private SafeTensor Gather(int index, string name, Func<ParameterHome, ResidentTensors> tensors)
    {
        var pieces = PiecesOf(index).ToList();
        if (pieces is [var only] && only.Piece.Shape[0] < _parameters[index].Shape[0])
        {
            var rows = _experts.Gather<float>(tensors(only.Home).Read(only.Slot), $"gathering {name} from the expert shards");   // rank s of the group holds shard s: rank order is row order
            return SafeTensor.From<float>(name, rows, _parameters[index].Shape);
        }

        if (pieces is [var whole])
        {
            return tensors(whole.Home).ToSafeTensor(whole.Slot, name);
        }

        var values = new float[_parameters[index].Shape.Aggregate(1L, (n, d) => n * d)];
        Join(index, pieces, tensors, values);
        return SafeTensor.From<float>(name, values, _parameters[index].Shape);
    }

    /// <summary>Parameter <paramref name="index"/>'s pieces copied in row order into <paramref name="values"/> (the whole parameter).</summary>
    private void Join(int index, IEnumerable<(ParameterHome Home, int Slot, ParameterPiece Piece)> pieces, Func<ParameterHome, ResidentTensors> tensors, Span<float> values)
    {
        var row = RowSize(index);
        foreach (var (home, slot, piece) in pieces)
        {
            home.Memory.Download<float>(tensors(home).Current(slot), values.Slice(checked((int)(piece.FirstRow * row)), checked((int)(piece.Shape[0] * row))));
        }
    }

    /// <summary>
    /// A whole parameter for a checkpoint, produced when the writer reaches it: its pieces copied
    /// in row order into <paramref name="buffer"/> (shared by all: the writer takes one at a time),
    /// or, for a shard held by other ranks, gathered at once.
    /// </summary>
    private PendingTensor Pending(int index, string name, Func<ParameterHome, ResidentTensors> tensors, byte[] buffer)
    {
        var pieces = PiecesOf(index).ToList();
        var shape = _parameters[index].Shape;
        if (pieces is [var only] && only.Piece.Shape[0] < shape[0])
        {
            return PendingTensor.Of(Gather(index, name, tensors));
        }

        var bytes = checked((int)shape.Aggregate(1L, (n, d) => n * d) * sizeof(float));
        return new PendingTensor(name, "F32", shape, () =>
        {
            Join(index, pieces, tensors, System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(buffer.AsSpan(0, bytes)));
            return buffer.AsMemory(0, bytes);
        });
    }

    /// <summary>Every weight whole, by name, in the trunk's memory: resident tensors, or (for placed experts) joined copies added to <paramref name="temporaries"/>.</summary>
    private Dictionary<string, OrtValue> FullWeights(List<OrtValue> temporaries)
    {
        var weights = new Dictionary<string, OrtValue>();
        for (var i = 0; i < _parameters.Count; i++)
        {
            var pieces = PiecesOf(i).ToList();
            if (pieces is [var whole] && whole.Home == _homes[0])
            {
                weights[_parameters[i].Name] = whole.Home.Weights.Current(whole.Slot);
                continue;
            }

            var joined = Gather(i, _parameters[i].Name, h => h.Weights);
            var tensor = _homes[0].Memory.Allocate(TensorElementType.Float, _parameters[i].Shape);
            temporaries.Add(tensor);
            _homes[0].Memory.Upload(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(joined.Data.Span), tensor);
            weights[_parameters[i].Name] = tensor;
        }

        return weights;
    }

    // One home: the run's optimizer_model.onnx. Several: each home's share of it (clipping by the global norm), written to stages/ for inspection.
    private void OpenOptimizers(Func<string, SessionSettings> settings, StepTensors step)
    {
        if (_homes.Count == 1)
        {
            _homes[0].OpenOptimizer(File.ReadAllBytes(Path.Combine(_run, RunFiles.OptimizerModel)), null, settings("optimizer"), step);
            return;
        }

        Directory.CreateDirectory(Path.Combine(_run, RunFiles.Stages));
        for (var k = 0; k < _homes.Count; k++)
        {
            var parameters = _homes[k].OptimizerParameters;
            var optimizer = AdamWGraph.Build(parameters, _options.Optimizer, skipNonFinite: _options.Precision == "fp16", globalSumOfSquares: true).ToByteArray();
            var squares = AdamWGraph.BuildSumOfSquares(parameters).ToByteArray();
            if (_group.IsLeader)
            {
                AtomicFile.WriteAllBytes(Path.Combine(_run, RunFiles.Stages, $"optimizer.{k}.onnx"), optimizer);
                AtomicFile.WriteAllBytes(Path.Combine(_run, RunFiles.Stages, $"grad_sum_of_squares.{k}.onnx"), squares);
            }

            _homes[k].OpenOptimizer(optimizer, squares, settings($"optimizer-{k}") with { Device = _homes[k].Memory.Device }, step);
        }
    }

    private void SaveCheckpoint(bool milestone)
    {
        if (!_group.IsLeader && !GivesShardsToRankZero)
        {
            return;
        }

        // Tensors go to the file one at a time through one buffer, not copied whole first (a copy of
        // every weight and moment was 1.2 GB on flame-moe-38m); shards on other ranks are gathered now,
        // since every rank of the group takes part in the same order.
        var buffer = new byte[_parameters.Max(p => p.Shape.Aggregate(1L, (n, d) => n * d)) * sizeof(float)];
        var weights = new List<PendingTensor>();
        var moments = new List<PendingTensor>();
        for (var i = 0; i < _parameters.Count; i++)
        {
            var p = new Parameter(_parameters[i].Name, _parameters[i].Shape);
            weights.Add(Pending(i, p.Name, h => h.Weights, buffer));
            moments.Add(Pending(i, p.FirstMoment, h => h.FirstMoments, buffer));
            moments.Add(Pending(i, p.SecondMoment, h => h.SecondMoments, buffer));
        }

        if (!_group.IsLeader)
        {
            return;   // it gave its expert shard to rank 0, which writes
        }

        var state = new CheckpointState
        {
            Step = _step,
            TokensSeen = _tokens,
            Config = JsonNode.Parse(ModelConfigs.ToJson(_config))!,
            Schedule = JsonSerializer.SerializeToNode(new { _schedule.TotalSteps, _schedule.MaxLearningRate, _schedule.MinLearningRate, _schedule.WarmupSteps, _schedule.DecaySteps }, CheckpointState.Json),
            DataCursor = JsonSerializer.SerializeToNode(_sampler.Cursor, CheckpointState.Json),
            RandomState = [_options.Seed],
            Milestone = milestone,
            LossScale = _scaler.IsDynamic ? _scaler.Scale : null,
            LossScaleGoodSteps = _scaler.GoodSteps,
        };
        _store.Save(state, weights, moments);
    }

    public void Dispose()
    {
        _experts.Dispose();
        _expertReplicas.Dispose();
        _homes.ForEach(h => h.Dispose());
        (_dataset as IDisposable)?.Dispose();
    }
}
