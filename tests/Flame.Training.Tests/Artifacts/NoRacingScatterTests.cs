using Flame.Autodiff;
using Flame.ModelGraphs.Builder;
using Flame.ModelGraphs.Config;
using Flame.ModelGraphs.Model;
using Flame.Onnx.Proto;
using Flame.Onnx.Transforms;
using Flame.Runtime;
using Flame.Training.Artifacts;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using DataType = Flame.Onnx.Proto.TensorProto.Types.DataType;

namespace Flame.Training.Tests.Artifacts;

/// <summary>
/// ONNX Runtime's CPU ScatterND with reduction=add races between threads where indices repeat
/// (lost updates, different results run to run). Our graphs add with ScatterElements instead.
/// </summary>
[TestClass]
public sealed class NoRacingScatterTests
{
    [TestMethod]
    public void NeitherTheForwardNorTheTrainingGraphAddsWithScatterNd()
    {
        var config = ModelConfigs.Load("tiny-moe");
        foreach (var dispatch in new[] { ModelConfig.DispatchSorted, ModelConfig.DispatchGather })
        {
            var c = config with { Dispatch = dispatch };
            var graphs = new[] { FunctionInliner.Inline(FlameMoeModel.Build(c).Model), TrainingModel.Build(c) };
            foreach (var graph in graphs)
            {
                var adding = graph.Graph.Node.Where(n => n.OpType == "ScatterND" && n.Attribute.Any(a => a.Name == "reduction" && a.S.ToStringUtf8() == "add")).ToList();
                Assert.IsEmpty(adding, $"{graph.Graph.Name} ({dispatch}): {string.Join(", ", adding.Select(n => n.Name))}");
            }
        }
    }

    [TestMethod]
    public void AnEmbeddingGradientWithRepeatedTokensIsExactOnTwoThreads()
    {
        // Large enough that ORT splits the scatter over threads: 16,384 tokens over 512 rows.
        const int rows = 512, width = 256, tokens = 16_384;
        var graph = new GraphProto { Name = "embedding" };
        graph.Input.Add(Tensor("table", DataType.Float, rows, width));
        graph.Input.Add(Tensor("ids", DataType.Int64, tokens));
        graph.Node.Add(new NodeProto { OpType = "Gather", Name = "lookup", Input = { "table", "ids" }, Output = { "looked_up" } });
        graph.Node.Add(new NodeProto { OpType = "ReduceSum", Name = "sum", Input = { "looked_up" }, Output = { "loss" }, Attribute = { Flame.Onnx.Models.OnnxAttributes.Int("keepdims", 0) } });
        graph.Output.Add(Tensor("loss", DataType.Float));
        var model = new ModelProto { IrVersion = 8, Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Version = 17 });
        var gradient = Differentiator.Differentiate(model, new GradientRequest("loss", ["table"]));

        var random = new Random(1);
        var ids = Enumerable.Range(0, tokens).Select(_ => (long)random.Next(rows)).ToArray();
        var counts = new int[rows];
        foreach (var id in ids)
        {
            counts[id]++;
        }

        using var session = new ModelSession(gradient.ToByteArray(), new SessionSettings { IntraOpThreads = 2 });
        for (var run = 0; run < 4; run++)
        {
            using var table = OrtValue.FromArray(new float[rows * width], rows, width);
            using var idValues = OrtValue.FromArray(ids, tokens);
            using var results = session.Run(new Dictionary<string, OrtValue> { ["table"] = table, ["ids"] = idValues }, ["table.grad"]);
            var grad = results["table.grad"].ToArray<float>();
            for (var r = 0; r < rows; r++)
            {
                Assert.AreEqual((float)counts[r], grad[r * width + (r % width)], $"run {run}: row {r} was read {counts[r]} times");
            }
        }
    }

    private static ValueInfoProto Tensor(string name, DataType type, params long[] shape)
    {
        var tensor = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = new TensorShapeProto() };
        foreach (var d in shape)
        {
            tensor.Shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        }

        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = tensor } };
    }
}
