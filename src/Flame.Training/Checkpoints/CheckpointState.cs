using System.Text.Json;
using System.Text.Json.Nodes;

namespace Flame.Training.Checkpoints;

/// <summary>
/// Everything besides tensors that a run needs to continue exactly where it stopped. Stored as
/// state.json beside the weights; <see cref="FileHashes"/> lets a load detect a corrupt or
/// truncated tensor file before using it.
/// </summary>
public sealed record CheckpointState
{
    /// <summary>Optimizer steps taken.</summary>
    public required long Step { get; init; }

    public required long TokensSeen { get; init; }

    /// <summary>The model config, as the run resolved it.</summary>
    public required JsonNode Config { get; init; }

    /// <summary>The learning-rate schedule's settings.</summary>
    public JsonNode? Schedule { get; init; }

    /// <summary>Where the data sampler is (serialised by the sampler itself).</summary>
    public JsonNode? DataCursor { get; init; }

    /// <summary>State of every random generator the run draws from after initialisation.</summary>
    public ulong[] RandomState { get; init; } = [];

    /// <summary>fp16 dynamic loss scaling: the scale and the good steps since it last changed (null without loss scaling).</summary>
    public double? LossScale { get; init; }

    public int LossScaleGoodSteps { get; init; }

    /// <summary>A milestone checkpoint is never pruned (FLAME-MoE keeps 10 per run).</summary>
    public bool Milestone { get; init; }

    /// <summary>SHA-256 (hex) of each tensor file of the checkpoint, by file name.</summary>
    public IReadOnlyDictionary<string, string> FileHashes { get; init; } = new Dictionary<string, string>();

    public static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
}
