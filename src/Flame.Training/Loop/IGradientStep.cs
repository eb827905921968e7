namespace Flame.Training.Loop;

/// <summary>
/// Computes one micro-batch's losses and accumulated gradients: from the weights
/// (<see cref="ResidentTensors.Current"/>) and the accumulator into <c>gradients.Next</c>, with
/// the batch, scale and reset flag read from <see cref="StepTensors"/> and the losses written there.
/// </summary>
internal interface IGradientStep : IDisposable
{
    void Run(ResidentTensors weights, ResidentTensors gradients);

    /// <summary>Ends profiling in every session (when profiling) and returns their profile files.</summary>
    IReadOnlyList<string> EndProfiling();
}
