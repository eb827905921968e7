using Flame.Runtime;
using Flame.Training.Optimization;
using Microsoft.ML.OnnxRuntime;

namespace Flame.Training.Loop;

/// <summary>Rows [FirstRow, FirstRow + Shape[0]) of model parameter <paramref name="Index"/> (all of it when Shape is the parameter's).</summary>
internal sealed record ParameterPiece(string Name, int Index, long[] Shape, long FirstRow);

/// <summary>
/// The parameters, or row ranges of them, that live on one device: their weights, gradient
/// accumulators and Adam moments resident in its memory, and the optimizer step over them run
/// there. A run has one home, or with experts placed on devices of their own one for the trunk
/// and one per expert shard; then each home's optimizer clips by the global norm, summed over
/// the homes (Megatron's distributed optimizer does the same over ranks).
/// </summary>
internal sealed class ParameterHome : IDisposable
{
    private readonly Dictionary<string, int> _slots;
    private ModelSession? _optimizer;
    private OrtIoBinding? _binding;
    private ModelSession? _squares;
    private OrtIoBinding? _squaresBinding;
    private OrtValue? _sumOfSquares;

    public ParameterHome(IReadOnlyList<ParameterPiece> pieces, ExecutionDevice device, bool inPlace)
    {
        Pieces = pieces;
        _slots = pieces.Select((p, i) => (p.Name, i)).ToDictionary(t => t.Name, t => t.i);
        Memory = DeviceMemory.For(device);
        var shapes = pieces.Select(p => p.Shape).ToList();
        Weights = new ResidentTensors(shapes, Memory, inPlace);
        FirstMoments = new ResidentTensors(shapes, Memory, inPlace);
        SecondMoments = new ResidentTensors(shapes, Memory, inPlace);
        Gradients = new ResidentTensors(shapes, Memory, inPlace);
    }

    public IReadOnlyList<ParameterPiece> Pieces { get; }

    public DeviceMemory Memory { get; }

    public ResidentTensors Weights { get; }

    public ResidentTensors FirstMoments { get; }

    public ResidentTensors SecondMoments { get; }

    public ResidentTensors Gradients { get; }

    /// <summary>The slot of the piece of parameter <paramref name="name"/> starting at <paramref name="firstRow"/>, or null when this home does not hold it.</summary>
    public int? Slot(string name, long firstRow = 0) =>
        _slots.TryGetValue(name, out var slot) && Pieces[slot].FirstRow == firstRow ? slot : null;

    public IReadOnlyList<Parameter> OptimizerParameters => [.. Pieces.Select(p => new Parameter(p.Name, p.Shape))];

    /// <summary>Opens the optimizer sessions for a Train call; with <paramref name="squares"/>, this home is one of several and clips by the global norm.</summary>
    public void OpenOptimizer(byte[] optimizer, byte[]? squares, SessionSettings settings, StepTensors step)
    {
        _optimizer = new ModelSession(optimizer, settings);
        _binding = _optimizer.CreateIoBinding();
        step.BindOptimizer(_binding, _optimizer);
        if (squares is not null)
        {
            _squares = new ModelSession(squares, settings);
            _squaresBinding = _squares.CreateIoBinding();
            _sumOfSquares = OrtValue.Allocate<double>();
            _squaresBinding.BindOutput(AdamWGraph.SumOfSquares, _sumOfSquares);
        }
    }

    /// <summary>Σ g² over this home's gradients (a home among several).</summary>
    public double SumOfSquares()
    {
        for (var i = 0; i < Pieces.Count; i++)
        {
            _squaresBinding!.BindInput(new Parameter(Pieces[i].Name, Pieces[i].Shape).Gradient, Gradients.Current(i));
        }

        _squares!.Run(_squaresBinding!);
        return _sumOfSquares!.AsSpan<double>()[0];
    }

    /// <summary>The optimizer step: weights and moments in, updated values out (in place, or into the other copies, then swapped).</summary>
    public void Step()
    {
        for (var i = 0; i < Pieces.Count; i++)
        {
            var p = new Parameter(Pieces[i].Name, Pieces[i].Shape);
            _binding!.BindInput(p.Name, Weights.Current(i));
            _binding.BindInput(p.Gradient, Gradients.Current(i));
            _binding.BindInput(p.FirstMoment, FirstMoments.Current(i));
            _binding.BindInput(p.SecondMoment, SecondMoments.Current(i));
            _binding.BindOutput(Parameter.Updated(p.Name), Weights.Next(i));
            _binding.BindOutput(Parameter.Updated(p.FirstMoment), FirstMoments.Next(i));
            _binding.BindOutput(Parameter.Updated(p.SecondMoment), SecondMoments.Next(i));
        }

        _optimizer!.Run(_binding!);
        Weights.Swap();
        FirstMoments.Swap();
        SecondMoments.Swap();
    }

    /// <summary>Ends profiling of the optimizer session (when profiling) and returns its file.</summary>
    public string? EndProfiling() => _optimizer?.Settings.ProfilingPrefix is null ? null : _optimizer.EndProfiling();

    public void CloseOptimizer()
    {
        _squaresBinding?.Dispose();
        _squares?.Dispose();
        _sumOfSquares?.Dispose();
        _binding?.Dispose();
        _optimizer?.Dispose();
        (_squaresBinding, _squares, _sumOfSquares, _binding, _optimizer) = (null, null, null, null, null);
    }

    public void Dispose()
    {
        CloseOptimizer();
        Weights.Dispose();
        FirstMoments.Dispose();
        SecondMoments.Dispose();
        Gradients.Dispose();
        Memory.Dispose();
    }
}
