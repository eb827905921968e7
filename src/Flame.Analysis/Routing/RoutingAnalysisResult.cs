namespace Flame.Analysis.Routing;

/// <summary>Load balance of one layer at one checkpoint.</summary>
public sealed record LayerLoad(TracedCheckpoint Checkpoint, int Layer, double[] Fractions, double Entropy, double MaxOverMean);

/// <summary>sat(t, layer, k) against the final checkpoint.</summary>
public sealed record SaturationPoint(TracedCheckpoint Checkpoint, int Layer, int K, double Value);

/// <summary>One of an expert's top tokens at the final checkpoint, and its score(e, v) at every checkpoint (training order).</summary>
public sealed record SpecializationTrack(int Layer, int Expert, int TokenId, long Occurrences, double[] ScoreByCheckpoint);

/// <summary>Co-activation of one layer at the final checkpoint.</summary>
public sealed record LayerCoActivation(int Layer, double[,] Matrix, int[] StrongestExperts, double DensityAbovePointOne);

/// <summary>Everything `flame analyze` computes over a trace set.</summary>
public sealed record RoutingAnalysisResult(
    IReadOnlyList<TracedCheckpoint> Checkpoints,
    IReadOnlyList<LayerLoad> Load,
    IReadOnlyList<SaturationPoint> Saturation,
    IReadOnlyList<SpecializationTrack> Specialization,
    IReadOnlyList<LayerCoActivation> CoActivation,
    long TokensPerCheckpoint)
{
    /// <summary>Mean score of the tracked top tokens per (checkpoint, layer): FLAME-MoE's "specialization rises during training".</summary>
    public double MeanSpecialization(int checkpointIndex, int layer)
    {
        var tracks = Specialization.Where(t => t.Layer == layer).ToList();
        return tracks.Count == 0 ? double.NaN : tracks.Average(t => t.ScoreByCheckpoint[checkpointIndex]);
    }
}
