using Flame.Autodiff;
using Flame.ModelGraphs.Config;
using Flame.ModelGraphs.Model;
using Flame.ModelGraphs.Parallel;
using Flame.Onnx.Proto;
using Flame.Training.Artifacts;
using Flame.Training.Losses;

namespace Flame.Training.Parallel;

/// <summary>Builds the stages of the expert-parallel training step (see <see cref="ExpertParallelGraphs"/>).</summary>
public static class ExpertParallelTraining
{
    public static IReadOnlyList<TrainingStage> Build(ModelConfig config, int shards, LossSettings? losses = null, string precision = "fp32")
    {
        var stages = ExpertParallelGraphs.Build(config, shards, (g, logits, routing) => TrainingLosses.Append(g, config, logits, routing, losses))
            .Select(s => s with { Model = TrainingModel.WithPrecision(s.Model, precision) }).ToList();
        var produced = stages.SelectMany(s => s.Model.Graph.Output.Select(o => o.Name)).ToHashSet();
        var result = new List<TrainingStage>();
        for (var k = 0; k < stages.Count; k++)
        {
            var stage = stages[k];
            var parameters = stage.Parameters.Select(p => p.Name).ToList();
            var activations = FloatInputs(stage.Model).Where(produced.Contains).ToList();
            var wrt = parameters.Concat(activations).ToList();
            string GradientName(string x) => parameters.Contains(x) ? GradientAccumulation.Micro(x) : TrainingStage.InputGradient(x);

            ModelProto backward;
            List<SeededOutput> seeds = [];
            if (k == stages.Count - 1)
            {
                var model = stage.Model.Clone();
                var kept = model.Graph.Output.Where(o => o.Name != FlameMoeModel.Logits).ToList();
                model.Graph.Output.Clear();
                model.Graph.Output.AddRange(kept);
                backward = Differentiator.Differentiate(model, new GradientRequest(TrainingLosses.Loss, wrt) { GradientName = GradientName, SeedInput = TrainingModel.LossScale });
            }
            else
            {
                var later = stages.Skip(k + 1).ToList();
                seeds = [.. FloatOutputs(stage.Model)
                    .Select(o => new SeededOutput(o, later.Count(s => s.Model.Graph.Input.Any(i => i.Name == o))))
                    .Where(s => s.Seeds > 0)];
                backward = VectorJacobianProduct.Build(stage.Model, seeds, wrt, GradientName);
            }

            backward.Graph.Name = stage.Model.Graph.Name + "-backward";
            GradientAccumulation.Add(backward, parameters);
            result.Add(new TrainingStage(stage, k == stages.Count - 1 ? null : stage.Model, backward, seeds, activations));
        }

        return result;
    }

    private const int FloatType = (int)TensorProto.Types.DataType.Float;

    private static IEnumerable<string> FloatInputs(ModelProto model) => model.Graph.Input.Where(i => i.Type.TensorType.ElemType == FloatType).Select(i => i.Name);

    private static IEnumerable<string> FloatOutputs(ModelProto model) => model.Graph.Output.Where(o => o.Type.TensorType.ElemType == FloatType).Select(o => o.Name);
}
