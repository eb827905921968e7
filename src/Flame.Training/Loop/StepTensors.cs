using Flame.ModelGraphs.Config;
using Flame.ModelGraphs.Model;
using Flame.Runtime;
using Flame.Training.Artifacts;
using Flame.Training.Losses;
using Flame.Training.Optimization;
using Microsoft.ML.OnnxRuntime;

namespace Flame.Training.Loop;

/// <summary>
/// The small tensors that move each step: the batch (in), the micro-batch scale and reset flag,
/// the learning rate and step number (in), and the losses, expert loads and grad norm (out).
/// Allocated once and bound once; each step only rewrites their contents.
/// </summary>
internal sealed class StepTensors : IDisposable
{
    private static readonly string[] LossNames = [TrainingLosses.Loss, TrainingLosses.LanguageModelLoss, TrainingLosses.LoadBalancingLoss, TrainingLosses.ZLoss];

    private readonly int _batch;
    private readonly int _sequence;
    private readonly int[] _layers;
    private readonly OrtValue _ids;
    private readonly OrtValue _targets;
    private readonly OrtValue _lossScale = OrtValue.Allocate<float>();
    private readonly OrtValue _reset = OrtValue.Allocate<bool>();
    private readonly OrtValue _learningRate = OrtValue.Allocate<float>();
    private readonly OrtValue _stepNumber = OrtValue.Allocate<float>();
    private readonly OrtValue _gradNorm = OrtValue.Allocate<float>();
    private readonly OrtValue _clip = OrtValue.Allocate<float>();
    private readonly OrtValue _gradScale = OrtValue.Allocate<float>();
    private readonly OrtValue _gradsFinite = OrtValue.Allocate<bool>();
    private readonly OrtValue _sumOfSquares = OrtValue.Allocate<double>();
    private readonly OrtValue[] _losses = [.. LossNames.Select(_ => OrtValue.Allocate<float>())];
    private readonly OrtValue[] _loads;

    public StepTensors(TrainingOptions options, ModelConfig config, int[] moeLayers)
    {
        _batch = options.MicroBatch;
        _sequence = options.SequenceLength;
        _layers = moeLayers;
        _ids = OrtValue.Allocate<long>(_batch, _sequence);
        _targets = OrtValue.Allocate<long>(_batch, _sequence);
        _loads = [.. moeLayers.Select(_ => OrtValue.Allocate<float>(config.Experts))];
    }

    public double GradNorm => _gradNorm.AsSpan<float>()[0];

    /// <summary>Whether the last optimizer step's gradients were finite (else it changed nothing).</summary>
    public bool GradientsFinite => _gradsFinite.AsSpan<bool>()[0];

    /// <summary>The inputs of a training graph this holds: input_ids, targets, loss_scale, lazy_reset_grad.</summary>
    public IReadOnlyDictionary<string, OrtValue> Inputs => new Dictionary<string, OrtValue>
    {
        [FlameMoeModel.InputIds] = _ids,
        [TrainingLosses.Targets] = _targets,
        [TrainingModel.LossScale] = _lossScale,
        [TrainingModel.LazyResetGrad] = _reset,
    };

    /// <summary>The outputs of a training graph this receives: the four losses and each MoE layer's expert load.</summary>
    public IReadOnlyDictionary<string, OrtValue> Outputs => LossNames.Zip(_losses)
        .Concat(_layers.Select(TrainingLosses.ExpertLoad).Zip(_loads))
        .ToDictionary(p => p.First, p => p.Second);

    /// <summary>Binds those of <see cref="Inputs"/> and <see cref="Outputs"/> that <paramref name="session"/> has.</summary>
    public void BindTraining(OrtIoBinding binding, ModelSession session)
    {
        var inputs = Inputs;
        foreach (var input in session.Inputs.Where(i => inputs.ContainsKey(i.Name)))
        {
            binding.BindInput(input.Name, inputs[input.Name]);
        }

        var outputs = Outputs;
        foreach (var output in session.Outputs.Where(o => outputs.ContainsKey(o.Name)))
        {
            binding.BindOutput(output.Name, outputs[output.Name]);
        }
    }

    /// <summary>Binds the optimizer's scalars (those <paramref name="session"/> has: grad_sum_of_squares only where the parameters span several devices).</summary>
    public void BindOptimizer(OrtIoBinding binding, ModelSession session)
    {
        binding.BindInput(AdamWGraph.LearningRate, _learningRate);
        binding.BindInput(AdamWGraph.Step, _stepNumber);
        binding.BindInput(AdamWGraph.GradScale, _gradScale);
        if (session.Inputs.Any(i => i.Name == AdamWGraph.SumOfSquares))
        {
            binding.BindInput(AdamWGraph.SumOfSquares, _sumOfSquares);
        }

        binding.BindOutput(AdamWGraph.GradsFinite, _gradsFinite);
        binding.BindOutput(AdamWGraph.GradNorm, _gradNorm);
        binding.BindOutput(AdamWGraph.ClipCoefficient, _clip);
    }

    /// <summary>Splits windows of sequence + 1 tokens into inputs and next-token targets.</summary>
    public static (long[] Ids, long[] Targets) Split(long[] windows, int batch, int sequence)
    {
        var ids = new long[batch * sequence];
        var targets = new long[batch * sequence];
        for (var b = 0; b < batch; b++)
        {
            Array.Copy(windows, b * (sequence + 1), ids, b * sequence, sequence);
            Array.Copy(windows, b * (sequence + 1) + 1, targets, b * sequence, sequence);
        }

        return (ids, targets);
    }

    public void LoadBatch(long[] windows)
    {
        var (ids, targets) = Split(windows, _batch, _sequence);
        ids.CopyTo(_ids.AsSpan<long>());
        targets.CopyTo(_targets.AsSpan<long>());
    }

    public void SetMicro(float scale, bool reset)
    {
        _lossScale.AsSpan<float>()[0] = scale;
        _reset.AsSpan<bool>()[0] = reset;
    }

    /// <param name="gradientScale">The loss scale the gradients carry (1 without loss scaling).</param>
    /// <param name="sumOfSquares">Σ g² over every home's gradients, when the parameters span several devices.</param>
    public void SetOptimizer(float learningRate, long step, float gradientScale, double sumOfSquares = 0)
    {
        _sumOfSquares.AsSpan<double>()[0] = sumOfSquares;
        _gradScale.AsSpan<float>()[0] = gradientScale;
        _learningRate.AsSpan<float>()[0] = learningRate;
        _stepNumber.AsSpan<float>()[0] = step;
    }

    /// <summary>Adds this micro-batch's loss terms and expert loads to the step's sums.</summary>
    public void AddLosses(double[] sums, double[][] loads)
    {
        for (var i = 0; i < LossNames.Length; i++)
        {
            sums[i] += _losses[i].AsSpan<float>()[0];
        }

        for (var k = 0; k < _layers.Length; k++)
        {
            var shares = _loads[k].AsSpan<float>();
            loads[k] ??= new double[shares.Length];
            for (var e = 0; e < shares.Length; e++)
            {
                loads[k][e] += shares[e];
            }
        }
    }

    public void Dispose()
    {
        foreach (var value in new[] { _ids, _targets, _lossScale, _reset, _learningRate, _stepNumber, _gradNorm, _clip, _gradScale, _gradsFinite, _sumOfSquares }.Concat(_losses).Concat(_loads))
        {
            value.Dispose();
        }
    }
}
