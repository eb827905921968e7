namespace Flame.Data.Sampling;

/// <summary>Where a sampler is: the epoch and the next sample within it. Saved in checkpoints so a resumed run reads exactly the samples it would have.</summary>
public sealed record SamplerCursor(int Epoch, long Position);
