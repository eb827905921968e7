using Flame.ModelGraphs.Builder;
using Flame.Runtime;
using Flame.Training.Artifacts;
using Microsoft.ML.OnnxRuntime;

namespace Flame.Training.Loop;

/// <summary>The gradient step as one graph: training_model.onnx in one session.</summary>
internal sealed class WholeGraphStep : IGradientStep
{
    private readonly ModelSession _session;
    private readonly OrtIoBinding _binding;
    private readonly IReadOnlyList<ParameterSpec> _parameters;

    public WholeGraphStep(string trainingModel, SessionSettings settings, IReadOnlyList<ParameterSpec> parameters, StepTensors step)
    {
        _session = new ModelSession(trainingModel, settings);
        _binding = _session.CreateIoBinding();
        _parameters = parameters;
        step.BindTraining(_binding, _session);
    }

    /// <summary>One graph, so one home holding every parameter whole.</summary>
    public void Run(IReadOnlyList<ParameterHome> homes)
    {
        var home = homes.Single();
        foreach (var parameter in _parameters)
        {
            var slot = home.Slot(parameter.Name) ?? throw new InvalidOperationException($"{parameter.Name} is not held whole");
            _binding.BindInput(parameter.Name, home.Weights.Current(slot));
            _binding.BindInput(GradientAccumulation.Accumulated(parameter.Name), home.Gradients.Current(slot));
            _binding.BindOutput(GradientAccumulation.Gradient(parameter.Name), home.Gradients.Next(slot));
        }

        _session.Run(_binding);
    }

    public IReadOnlyList<string> EndProfiling() => _session.Settings.ProfilingPrefix is null ? [] : [_session.EndProfiling()];

    public void Dispose()
    {
        _binding.Dispose();
        _session.Dispose();
    }
}
