namespace Flame.Training.Loop;

/// <summary>
/// Computes one micro-batch's losses and accumulated gradients: from each home's weights
/// (<see cref="ResidentTensors.Current"/>) and gradient accumulators into <c>Gradients.Next</c>,
/// with the batch, scale and reset flag read from <see cref="StepTensors"/> and the losses written there.
/// </summary>
internal interface IGradientStep : IDisposable
{
    void Run(IReadOnlyList<ParameterHome> homes);

    /// <summary>Ends profiling in every session (when profiling) and returns their profile files.</summary>
    IReadOnlyList<string> EndProfiling();
}
