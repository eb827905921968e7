using Flame.ModelGraphs.Config;
using Flame.ModelGraphs.Model;
using Flame.Runtime;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;

namespace Flame.ModelGraphs.Tests;

/// <summary>The two dropless dispatch strategies compute the same model.</summary>
[TestClass]
public sealed class DispatchStrategyTests
{
    [TestMethod]
    [DataRow(1)]
    [DataRow(2)]
    [DataRow(8)]
    public void SortedAndGatherDispatchAgree(int topK)
    {
        var config = ModelConfigs.Load("tiny-moe", [$"top_k={topK}"]) with { InitStd = 0.25 };
        float[] Run(string dispatch)
        {
            var graph = FlameMoeModel.Build(config with { Dispatch = dispatch });
            using var session = new ModelSession(graph.Model.ToByteArray());
            using var ids = OrtValue.FromArray(Enumerable.Range(0, 30).Select(i => (long)(i * 53 % 512)).ToArray(), 3, 10);
            using var results = session.Run(new Dictionary<string, OrtValue> { [FlameMoeModel.InputIds] = ids });
            return results[FlameMoeModel.Logits].ToArray<float>();
        }

        var sorted = Run(ModelConfig.DispatchSorted);
        var gather = Run(ModelConfig.DispatchGather);
        var worst = sorted.Select((v, i) => Math.Abs(v - gather[i])).Max();
        Assert.IsTrue(worst < 1e-4, $"max difference {worst}");
    }

    [TestMethod]
    public void UnknownDispatchIsNamed()
    {
        var error = Assert.ThrowsExactly<ArgumentException>(() => ModelConfigs.Load("tiny-moe", ["dispatch=magic"]));
        StringAssert.Contains(error.Message, "dispatch must be \"sorted\" or \"gather\"");
    }
}
