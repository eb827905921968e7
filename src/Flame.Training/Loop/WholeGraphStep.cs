using Flame.ModelGraphs.Builder;
using Flame.Runtime;
using Flame.Training.Artifacts;

namespace Flame.Training.Loop;

/// <summary>The gradient step as one graph: training_model.onnx in one session.</summary>
internal sealed class WholeGraphStep : IGradientStep
{
    private readonly InferenceSession _session;
    private readonly IoBinding _binding;
    private readonly IReadOnlyList<ParameterSpec> _parameters;

    public WholeGraphStep(string trainingModel, SessionSettings settings, IReadOnlyList<ParameterSpec> parameters, StepTensors step)
    {
        _session = new InferenceSession(trainingModel, settings);
        _binding = _session.CreateIoBinding();
        _parameters = parameters;
        step.BindTraining(_binding, _session);
    }

    public void Run(ResidentTensors weights, ResidentTensors gradients)
    {
        for (var i = 0; i < _parameters.Count; i++)
        {
            var name = _parameters[i].Name;
            _binding.BindInput(name, weights.Current(i));
            _binding.BindInput(GradientAccumulation.Accumulated(name), gradients.Current(i));
            _binding.BindOutput(GradientAccumulation.Gradient(name), gradients.Next(i));
        }

        _binding.Run();
    }

    public IReadOnlyList<string> EndProfiling() => _session.Settings.ProfilingPrefix is null ? [] : [_session.EndProfiling()];

    public void Dispose()
    {
        _binding.Dispose();
        _session.Dispose();
    }
}
