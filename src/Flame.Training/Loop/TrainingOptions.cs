using System.Text.Json;
using System.Text.Json.Serialization;
using Flame.Training.Losses;
using Flame.Training.Optimization;

namespace Flame.Training.Loop;

/// <summary>
/// Everything a training run is: what to train on what, for how long and how. Saved as
/// run.json in the run directory, so that <c>flame train --resume RUN</c> continues with the
/// same settings. The model config itself is saved beside it (config.json).
/// </summary>
public sealed record TrainingOptions
{
    /// <summary>The indexed dataset's path prefix (PREFIX.bin / PREFIX.idx).</summary>
    public required string Dataset { get; init; }

    /// <summary>Optimizer steps.</summary>
    public required long Steps { get; init; }

    public int SequenceLength { get; init; } = 256;

    /// <summary>Sequences per micro-batch (one run of the training graph).</summary>
    public int MicroBatch { get; init; } = 8;

    /// <summary>Micro-batches per optimizer step: the global batch is MicroBatch · Accumulation sequences.</summary>
    public int Accumulation { get; init; } = 1;

    public double LearningRate { get; init; } = 3e-4;

    /// <summary>The learning rate at the end of the decay; default a tenth of the peak.</summary>
    public double? MinLearningRate { get; init; }

    public double WarmupFraction { get; init; } = 0.01;

    public double DecayFraction { get; init; } = 0.10;

    /// <summary>Seeds the weights, the data order and the document split.</summary>
    public ulong Seed { get; init; } = 1234;

    /// <summary>Document split of the dataset: train and validation fractions (the rest is test).</summary>
    public double TrainFraction { get; init; } = 0.90;

    public double ValidFraction { get; init; } = 0.05;

    /// <summary>Validation every N steps (and at the end); 0 = only at the end.</summary>
    public int ValidEvery { get; init; }

    public int ValidBatches { get; init; } = 4;

    /// <summary>A checkpoint every N steps (and at the end); 0 = ten per run.</summary>
    public int CheckpointEvery { get; init; }

    /// <summary>Regular checkpoints kept besides the milestones.</summary>
    public int KeepLast { get; init; } = 2;

    /// <summary>Checkpoints never pruned, evenly spaced over the run (FLAME-MoE keeps 10).</summary>
    public int Milestones { get; init; } = 10;

    public LossSettings Losses { get; init; } = LossSettings.Default;

    public AdamWSettings Optimizer { get; init; } = new();

    /// <summary>Threads per ORT operator; 0 = one per core.</summary>
    public int Threads { get; init; }

    /// <summary>
    /// Recompute the experts' products and the attention probabilities in the backward pass
    /// instead of keeping them from the forward (activation checkpointing; results bit-identical):
    /// on flame-moe-38m 0.6 GB less at about 5 % of the step time (docs/benchmarks.md).
    /// </summary>
    public bool Recompute { get; init; } = true;

    /// <summary>Update weights, moments and gradient accumulators in place (one copy each); false keeps two copies that swap.</summary>
    public bool InPlace { get; init; } = true;

    /// <summary>"cpu" or "cuda[:N]".</summary>
    public string Device { get; init; } = "cpu";

    /// <summary>
    /// Expert parallelism: each MoE layer's experts split into this many shards, each computed in
    /// its own ORT sessions (see ExpertParallelStep). 1 runs the whole step as one graph.
    /// </summary>
    public int ExpertShards { get; init; } = 1;

    /// <summary>
    /// With expert shards: the device of each shard ("cuda:1", ...; one per shard). Each shard's
    /// expert weights, gradients and Adam moments then live on its device and its sessions run
    /// there, with an optimizer step per device clipping by the global norm. Null: every shard
    /// on <see cref="Device"/>, reading its rows of the stacked tensors in place.
    /// </summary>
    public IReadOnlyList<string>? ExpertDevices { get; init; }

    /// <summary>
    /// Compute precision of the matrix multiplies: "fp32", or "fp16"/"bf16" (autocast: weights,
    /// optimizer state and everything else stay fp32; fp16 adds dynamic loss scaling).
    /// </summary>
    public string Precision { get; init; } = "fp32";

    /// <summary>fp16 only: the dynamic loss scale to start from.</summary>
    public double InitialLossScale { get; init; } = Optimization.LossScaler.DefaultInitialScale;

    /// <summary>When set, every session of the run writes an ORT profile starting with this prefix (not saved in run.json).</summary>
    [JsonIgnore]
    public string? ProfilePrefix { get; init; }

    [JsonIgnore]
    public double MinimumLearningRate => MinLearningRate ?? LearningRate / 10;

    [JsonIgnore]
    public int CheckpointInterval => CheckpointEvery > 0 ? CheckpointEvery : (int)Math.Max(1, Steps / 10);

    public static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private static bool IsDevice(string device)
    {
        try
        {
            Flame.Runtime.ExecutionDevice.Parse(device);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    /// <summary>Checks the settings; the message names every field that is wrong.</summary>
    public TrainingOptions Validate()
    {
        var errors = new List<string>();
        if (Steps <= 0) errors.Add($"steps must be positive (got {Steps})");
        if (SequenceLength <= 0) errors.Add($"sequence_length must be positive (got {SequenceLength})");
        if (MicroBatch <= 0) errors.Add($"micro_batch must be positive (got {MicroBatch})");
        if (Accumulation <= 0) errors.Add($"accumulation must be positive (got {Accumulation})");
        if (ValidBatches < 0) errors.Add($"valid_batches must not be negative (got {ValidBatches})");
        if (!(double.IsFinite(LearningRate) && LearningRate > 0)) errors.Add($"lr must be a positive number (got {LearningRate})");
        if (MinLearningRate is { } min && !(double.IsFinite(min) && min >= 0 && min <= LearningRate)) errors.Add($"min_lr must be a number from 0 to lr (got {min})");
        if (!(WarmupFraction >= 0 && DecayFraction >= 0 && WarmupFraction + DecayFraction <= 1)) errors.Add($"warmup ({WarmupFraction}) and decay ({DecayFraction}) fractions must be at least 0 and sum to at most 1");
        if (ValidEvery < 0) errors.Add($"valid_every must not be negative (got {ValidEvery})");
        if (CheckpointEvery < 0) errors.Add($"checkpoint_every must not be negative (got {CheckpointEvery}; 0 saves only at milestones and the end)");
        if (Milestones < 0) errors.Add($"milestones must not be negative (got {Milestones})");
        if (Threads < 0) errors.Add($"threads must not be negative (got {Threads}; 0 = one per core)");
        if (!(double.IsFinite(Losses.LoadBalancing) && Losses.LoadBalancing >= 0)) errors.Add($"aux_loss must be a number of at least 0 (got {Losses.LoadBalancing})");
        if (!(double.IsFinite(Losses.ZLoss) && Losses.ZLoss >= 0)) errors.Add($"z_loss must be a number of at least 0 (got {Losses.ZLoss})");
        if (!Flame.Onnx.Transforms.Autocast.ComputeTypes.Contains(Precision)) errors.Add($"precision must be one of {string.Join(", ", Flame.Onnx.Transforms.Autocast.ComputeTypes)} (got \"{Precision}\")");
        if (Artifacts.TrainingModel.UnsupportedPrecision(Precision, cuda: !Device.Trim().Equals("cpu", StringComparison.OrdinalIgnoreCase)) is { } unsupported) errors.Add(unsupported);
        if (!(InitialLossScale >= 1)) errors.Add($"initial_loss_scale must be at least 1 (got {InitialLossScale})");
        if (ExpertShards < 1) errors.Add($"expert_shards must be at least 1 (got {ExpertShards})");
        if (ExpertDevices is { } devices && (devices.Count != ExpertShards || ExpertShards < 2)) errors.Add($"expert_devices must name one device per expert shard ({ExpertShards} shards, {devices.Count} devices; at least 2)");
        if (ExpertDevices?.FirstOrDefault(d => !IsDevice(d)) is { } wrong) errors.Add($"expert_devices: \"{wrong}\" is not cpu, cuda or cuda:N");
        if (!IsDevice(Device)) errors.Add($"device must be cpu, cuda or cuda:N (got \"{Device}\")");
        if (KeepLast < 1) errors.Add($"keep_last must be at least 1 (got {KeepLast})");
        if (!(TrainFraction > 0 && ValidFraction >= 0 && TrainFraction + ValidFraction <= 1)) errors.Add($"train ({TrainFraction}) and valid ({ValidFraction}) fractions must be positive and sum to at most 1");
        if (errors.Count > 0)
        {
            throw new ArgumentException("invalid training options: " + string.Join("; ", errors));
        }

        return this;
    }
}
