namespace Flame.Analysis.Routing;

/// <summary>A traced checkpoint: its folder name (iter_NNNNNNN) and training step.</summary>
public sealed record TracedCheckpoint(string Name, long Step);

/// <summary>
/// Routing traces of several checkpoints over the same held-out tokens: for each checkpoint
/// and MoE layer, row r is the same token everywhere (the released FLAME-MoE layout, read
/// from Parquet, or traces held in memory in tests).
/// </summary>
public interface IRoutingTraceSet
{
    /// <summary>Checkpoints in training order; the last is the "final" one saturation compares against.</summary>
    IReadOnlyList<TracedCheckpoint> Checkpoints { get; }

    /// <summary>MoE layers, numbered from 1 as in the released traces (layer 1 is dense, so MoE layers start at 2).</summary>
    IReadOnlyList<int> Layers { get; }

    int Experts { get; }

    int TopK { get; }

    /// <summary>Largest token id + 1 (the tokenizer's vocabulary size).</summary>
    int Vocabulary { get; }

    /// <summary>The trace of one layer at one checkpoint in blocks of rows, streamed (bounded memory).</summary>
    IEnumerable<RoutingBlock> Read(TracedCheckpoint checkpoint, int layer);
}
