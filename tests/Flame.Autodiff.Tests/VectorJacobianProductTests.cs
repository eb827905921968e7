using Flame.Runtime;
using Google.Protobuf;
using DataType = Flame.Onnx.Proto.TensorProto.Types.DataType;

namespace Flame.Autodiff.Tests;

/// <summary>The backward graph of a stage: output gradients in (summed over consumers), input gradients out.</summary>
[TestClass]
public sealed class VectorJacobianProductTests
{
    [TestMethod]
    public void GradientsOfTwoOutputsWithSeveralConsumersAreSummed()
    {
        // y1 = a ⊙ b (2 consumers), y2 = a c (1 consumer); a, b (2, 3), c (3, 2).
        var forward = new TestGraph()
            .Input("a", DataType.Double, 2, 3).Input("b", DataType.Double, 2, 3).Input("c", DataType.Double, 3, 2)
            .Node("Mul", ["a", "b"], ["y1"]).Node("MatMul", ["a", "c"], ["y2"]).Build("y1");
        var y2 = forward.Graph.Output[0].Clone();
        y2.Name = "y2";
        forward.Graph.Output.Add(y2);
        var backward = VectorJacobianProduct.Build(forward, [new SeededOutput("y1", 2), new SeededOutput("y2")], ["a", "b"], x => x + ".grad");

        var random = new Random(3);
        var inputs = new Dictionary<string, TestTensor>
        {
            ["a"] = TestTensor.Random(random, 2, 3), ["b"] = TestTensor.Random(random, 2, 3), ["c"] = TestTensor.Random(random, 3, 2),
            ["y1.grad.0"] = TestTensor.Random(random, 2, 3), ["y1.grad.1"] = TestTensor.Random(random, 2, 3), ["y2.grad.0"] = TestTensor.Random(random, 2, 2),
        };
        using var session = new ModelSession(backward.ToByteArray());
        var gradients = GradientCheck.Run(session, inputs, ["a.grad", "b.grad"]);
        CollectionAssert.AreEquivalent(new[] { "a.grad", "b.grad" }, session.Outputs.Select(o => o.Name).ToArray(), "only the gradients are outputs");

        double[] D(string name) => (double[])inputs[name].Data;
        double[] a = D("a"), b = D("b"), c = D("c"), s0 = D("y1.grad.0"), s1 = D("y1.grad.1"), s2 = D("y2.grad.0");
        for (var i = 0; i < 2; i++)
        {
            for (var j = 0; j < 3; j++)
            {
                var k = i * 3 + j;
                var fromMatMul = s2[i * 2] * c[j * 2] + s2[i * 2 + 1] * c[j * 2 + 1];   // (ȳ2 cᵀ)[i, j]
                Assert.AreEqual((s0[k] + s1[k]) * b[k] + fromMatMul, gradients["a.grad"][k], 1e-12, $"a.grad[{i}, {j}]");
                Assert.AreEqual((s0[k] + s1[k]) * a[k], gradients["b.grad"][k], 1e-12, $"b.grad[{i}, {j}]");
            }
        }
    }

    [TestMethod]
    public void AnUnknownOutputIsNamed()
    {
        var forward = new TestGraph().Input("a", DataType.Double, 2).Node("Neg", ["a"], ["y"]).Build();
        var error = Assert.ThrowsExactly<AutodiffException>(() => VectorJacobianProduct.Build(forward, [new SeededOutput("z")], ["a"], x => x + ".grad"));
        StringAssert.Contains(error.Message, "'z' is not an output");
    }
}
