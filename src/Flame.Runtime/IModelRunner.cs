using Microsoft.ML.OnnxRuntime;

namespace Flame.Runtime;

/// <summary>
/// Runs a forward model by named inputs and outputs: one <see cref="ModelSession"/>, or a
/// model spread over several sessions (expert shards) that looks like one from outside.
/// </summary>
public interface IModelRunner : IDisposable
{
    IReadOnlyList<SessionTensorInfo> Outputs { get; }

    RunResults Run(IReadOnlyDictionary<string, OrtValue> inputs, IReadOnlyList<string>? outputNames = null, RunOptions? options = null);
}
