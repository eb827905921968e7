using Flame.ModelGraphs.Builder;
using Flame.ModelGraphs.Config;
using Flame.ModelGraphs.Model;
using Flame.Onnx.Transforms;
using Flame.Runtime;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;

namespace Flame.ModelGraphs.Tests.Reference;

/// <summary>Weights the session supplies (ModelSession.WithWeights: SessionWeights + AddInitializer) compute exactly what embedded initializers do.</summary>
[TestClass]
public sealed class SessionWeightsTests
{
    [TestMethod]
    public void SessionSuppliedWeightsGiveTheEmbeddedModelsLogitsExactly()
    {
        var config = ModelConfigs.Load("tiny-moe") with { InitStd = 0.2 };
        long[] ids = [5, 17, 300, 2, 99, 5, 511, 0];
        using var input = OrtValue.FromArray(ids, 2, 4);
        var inputs = new Dictionary<string, OrtValue> { [FlameMoeModel.InputIds] = input };

        using var embedded = new ModelSession(FunctionInliner.Inline(FlameMoeModel.Build(config, new ForwardOptions(Seed: 7)).Model).ToByteArray());
        var graph = FlameMoeModel.Build(config, new ForwardOptions(WeightsAs.Inputs));
        var weights = graph.Parameters.ToDictionary(p => p.Name, p => OrtValue.FromArray(WeightInitializer.Create(p, 7), p.Shape));
        using var supplied = ModelSession.WithWeights(graph.Model, weights);

        Assert.IsFalse(supplied.Inputs.Any(i => i.Name != FlameMoeModel.InputIds), "the weights are no longer inputs");
        using var want = embedded.Run(inputs, [FlameMoeModel.Logits]);
        using var got = supplied.Run(inputs, [FlameMoeModel.Logits]);
        CollectionAssert.AreEqual(want[FlameMoeModel.Logits].ToArray<float>(), got[FlameMoeModel.Logits].ToArray<float>());
    }

    [TestMethod]
    public void AWeightAlreadyEmbeddedCannotBeDeclaredTwice()
    {
        var model = FlameMoeModel.Build(ModelConfigs.Load("tiny-moe"), new ForwardOptions()).Model;
        var name = model.Graph.Initializer[0].Name;
        Assert.ThrowsExactly<ArgumentException>(() => SessionWeights.Declare(model, [new SessionWeight(name, Flame.Onnx.Proto.TensorProto.Types.DataType.Float, [1], 4)]));
    }
}
