using Flame.Onnx.Proto;
using static Flame.Autodiff.Tests.TestGraph;
using DataType = Flame.Onnx.Proto.TensorProto.Types.DataType;

namespace Flame.Autodiff.Tests;

/// <summary>Every gradient rule against finite differences, in double precision, with broadcasting where the op has it.</summary>
[TestClass]
public sealed class GradientRuleTests
{
    private readonly Random _random = new(12345);

    private TestTensor R(params long[] shape) => TestTensor.Random(_random, shape);

    private TestTensor P(params long[] shape) => TestTensor.Positive(_random, shape);

    private static object[] Dims(TestTensor t, string? firstSymbol) =>
        t.Shape.Select((d, i) => i == 0 && firstSymbol is not null ? (object)firstSymbol : d).ToArray();

    /// <summary>y = op(inputs...), every double input differentiated; the first input's first dimension declared symbolic when asked.</summary>
    private static void CheckOp(string op, (string Name, TestTensor Value)[] inputs, AttributeProto[]? attributes = null, string? symbol = null,
        string[]? constantInputs = null, double tolerance = 1e-6, double epsilon = 1e-6)
    {
        var g = new TestGraph();
        foreach (var (name, value) in inputs)
        {
            g.Input(name, value.Type, Dims(value, name == inputs[0].Name ? symbol : null));
        }

        g.Node(op, [.. inputs.Select(i => i.Name), .. constantInputs ?? []], ["y"], attributes ?? []);
        var wrt = inputs.Where(i => i.Value.Data is double[]).Select(i => i.Name).ToArray();
        GradientCheck.Check(g.Build(), inputs.ToDictionary(i => i.Name, i => i.Value), wrt, tolerance: tolerance, epsilon: epsilon);
    }

    [TestMethod]
    [DataRow("Add")]
    [DataRow("Sub")]
    [DataRow("Mul")]
    [DataRow("Max")]
    [DataRow("Min")]
    public void BinaryOpsWithBroadcasting(string op)
    {
        CheckOp(op, [("a", R(2, 3, 4)), ("b", R(4))]);
        CheckOp(op, [("a", R(2, 3, 4)), ("b", R(1, 3, 1))], symbol: "batch");
        CheckOp(op, [("a", R(3, 1)), ("b", R(2, 1, 4))]);
        CheckOp(op, [("a", R(3, 4)), ("b", R(3, 4))], symbol: "batch");
    }

    [TestMethod]
    [DataRow(1L)]
    [DataRow(3L)]
    public void BroadcastingOverDimensionsKnownOnlyAtRunTime(long rows)
    {
        // Whether an axis broadcast is decided at run time: here the rows may be 1 in both operands.
        var g = new TestGraph().Input("a", DataType.Double, "?", 4).Input("b", DataType.Double, "?", 1).Node("Mul", ["a", "b"], ["y"]);
        GradientCheck.Check(g.Build(), new Dictionary<string, TestTensor> { ["a"] = R(rows, 4), ["b"] = R(rows, 1) }, ["a", "b"]);
        var h = new TestGraph().Input("a", DataType.Double, "?", "?").Input("b", DataType.Double, "?").Node("Add", ["a", "b"], ["y"]);
        GradientCheck.Check(h.Build(), new Dictionary<string, TestTensor> { ["a"] = R(rows, 1), ["b"] = R(5) }, ["a", "b"]);
    }

    [TestMethod]
    public void DivisionAndPower()
    {
        CheckOp("Div", [("a", R(2, 3, 4)), ("b", P(3, 1))]);
        CheckOp("Div", [("a", R(4)), ("b", P(2, 4))]);
        CheckOp("Pow", [("a", P(3, 4)), ("b", R(4))]);
        CheckOp("Sum", [("a", R(2, 3)), ("b", R(3)), ("c", R(2, 1))]);
    }

    [TestMethod]
    [DataRow("Neg")]
    [DataRow("Exp")]
    [DataRow("Log")]
    [DataRow("Sqrt")]
    [DataRow("Reciprocal")]
    [DataRow("Sigmoid")]
    [DataRow("Tanh")]
    [DataRow("Relu")]
    [DataRow("Abs")]
    [DataRow("Identity")]
    public void UnaryOps(string op)
    {
        var positive = op is "Log" or "Sqrt" or "Reciprocal";
        CheckOp(op, [("x", positive ? P(3, 5) : R(3, 5))], symbol: "batch");
    }

    [TestMethod]
    public void CastsBetweenFloatTypesPassTheGradient()
    {
        // y = double(float(x)): linear, so a wide step is exact up to float rounding.
        var g = new TestGraph().Input("x", DataType.Double, 3, 4)
            .Node("Cast", ["x"], ["f"], Int("to", (long)DataType.Float))
            .Node("Cast", ["f"], ["y"], Int("to", (long)DataType.Double));
        GradientCheck.Check(g.Build(), new Dictionary<string, TestTensor> { ["x"] = R(3, 4) }, ["x"], tolerance: 1e-4, epsilon: 1e-2);
    }

    [TestMethod]
    public void WhereSendsTheGradientToTheChosenBranch()
    {
        var condition = new TestTensor(Enumerable.Range(0, 12).Select(i => i % 3 == 0).ToArray(), [3, 4]);
        CheckOp("Where", [("c", condition), ("a", R(3, 4)), ("b", R(4))]);
    }

    [TestMethod]
    public void MatMulWithAndWithoutBroadcasting()
    {
        CheckOp("MatMul", [("a", R(3, 4)), ("b", R(4, 5))]);
        CheckOp("MatMul", [("a", R(2, 3, 4)), ("b", R(4, 5))], symbol: "batch");
        CheckOp("MatMul", [("a", R(2, 3, 4)), ("b", R(2, 4, 5))]);
        CheckOp("MatMul", [("a", R(2, 2, 3, 4)), ("b", R(2, 1, 4, 5))]);
        CheckOp("MatMul", [("a", R(3, 4)), ("b", R(2, 4, 5))]);
    }

    [TestMethod]
    public void Reductions()
    {
        var x = R(2, 3, 4);
        foreach (var keep in new[] { 0L, 1L })
        {
            CheckSingle("ReduceSum", x, [Int("keepdims", keep)], axes: [1]);
            CheckSingle("ReduceSum", x, [Int("keepdims", keep)], axes: [-1, 0]);
            CheckSingle("ReduceMean", x, [Int("keepdims", keep), IntList("axes", -1)]);
            CheckSingle("ReduceMean", x, [Int("keepdims", keep)]);
            CheckSingle("ReduceMax", x, [Int("keepdims", keep), IntList("axes", 1)]);
            CheckSingle("ReduceMin", x, [Int("keepdims", keep), IntList("axes", 0, 2)]);
            CheckSingle("ReduceLogSumExp", x, [Int("keepdims", keep), IntList("axes", 1)]);
            CheckSingle("ReduceSumSquare", x, [Int("keepdims", keep), IntList("axes", 2)]);
        }

        CheckSingle("ReduceSum", x, [Int("keepdims", 0)]);
    }

    /// <summary>A one-input op, with its axes (when given) as an int64 initializer input.</summary>
    private static void CheckSingle(string op, TestTensor x, AttributeProto[] attributes, long[]? axes = null, string? symbol = "batch")
    {
        var g = new TestGraph().Input("x", DataType.Double, Dims(x, symbol));
        if (axes is not null)
        {
            g.Ints("axes", axes).Node(op, ["x", "axes"], ["y"], attributes);
        }
        else
        {
            g.Node(op, ["x"], ["y"], attributes);
        }

        GradientCheck.Check(g.Build(), new Dictionary<string, TestTensor> { ["x"] = x }, ["x"]);
    }

    [TestMethod]
    public void LogSoftmaxFollowedByPickingTargetsIsOneScatter()
    {
        // Cross-entropy's shape: log-probabilities, then GatherElements of targets along the same
        // axis (one or two per row, the second repeating some). The fused rule must match finite
        // differences and leave no dense subtraction of the scattered gradient behind.
        foreach (var (axis, picks) in new[] { (-1L, new long[] { 3, 0, 4, 4, 1, 2 }), (2L, new long[] { 1, 1, 0, 4, 2, 2, 3, 0, 4, 1, 1, 3 }) })
        {
            var g = new TestGraph().Input("x", DataType.Double, 2, 3, 5).Input("t", DataType.Int64, 2, 3, picks.Length / 6)
                .Node("LogSoftmax", ["x"], ["logp"], Int("axis", axis))
                .Node("GatherElements", ["logp", "t"], ["y"], Int("axis", axis));
            var inputs = new Dictionary<string, TestTensor> { ["x"] = R(2, 3, 5), ["t"] = TestTensor.Ints(picks, 2, 3, picks.Length / 6) };
            GradientCheck.Check(g.Build(), inputs, ["x"]);

            var gradient = Differentiator.Differentiate(g.Build(), new GradientRequest("y", ["x"]));
            Assert.IsFalse(gradient.Graph.Node.Any(n => n.OpType == "Sub" && n.Name.StartsWith("grad/", StringComparison.Ordinal)), "the generic g − exp(y)·Σg is not emitted");
            Assert.AreEqual(1, gradient.Graph.Node.Count(n => n.OpType == "ScatterElements"), "one scatter: the unused one of the gather's rule is pruned");
        }
    }

    [TestMethod]
    public void SoftmaxLogSoftmaxAndCumSum()
    {
        var x = R(2, 3, 5);
        foreach (var axis in new[] { -1L, 1L })
        {
            CheckSingle("Softmax", x, [Int("axis", axis)]);
            CheckSingle("LogSoftmax", x, [Int("axis", axis)]);
        }

        foreach (var (exclusive, reverse) in new[] { (0L, 0L), (1L, 0L), (0L, 1L), (1L, 1L) })
        {
            var g = new TestGraph().Input("x", DataType.Double, 2, 3, 5).Ints("axis", 1)
                .Node("Reshape", ["axis", "scalar_shape"], ["a"]).Ints("scalar_shape")
                .Node("CumSum", ["x", "a"], ["y"], Int("exclusive", exclusive), Int("reverse", reverse));
            GradientCheck.Check(g.Build(), new Dictionary<string, TestTensor> { ["x"] = x }, ["x"]);
        }
    }

    [TestMethod]
    public void ReshapesAndTransposes()
    {
        var x = R(2, 3, 4);
        var g = new TestGraph().Input("x", DataType.Double, "batch", 3, 4).Ints("shape", 0, -1, 2)
            .Node("Reshape", ["x", "shape"], ["r"])
            .Node("Transpose", ["r"], ["t"], IntList("perm", 2, 0, 1))
            .Ints("axes", 0).Node("Unsqueeze", ["t", "axes"], ["u"])
            .Node("Squeeze", ["u", "axes"], ["s"])
            .Node("Flatten", ["s"], ["f"], Int("axis", 2))
            .Node("Transpose", ["f"], ["y"]);
        GradientCheck.Check(g.Build(), new Dictionary<string, TestTensor> { ["x"] = x }, ["x"]);

        var expand = new TestGraph().Input("x", DataType.Double, 3, 1).Ints("shape", 2, 3, 4).Node("Expand", ["x", "shape"], ["y"]);
        GradientCheck.Check(expand.Build(), new Dictionary<string, TestTensor> { ["x"] = R(3, 1) }, ["x"]);
    }

    [TestMethod]
    public void ConcatAndSplit()
    {
        CheckOp("Concat", [("a", R(2, 1, 3)), ("b", R(2, 4, 3)), ("c", R(2, 2, 3))], [Int("axis", -2)], symbol: "batch");

        // The first output of the split is not used: its gradient is zero.
        var g = new TestGraph().Input("x", DataType.Double, 2, 6).Ints("sizes", 1, 2, 3)
            .Node("Split", ["x", "sizes"], ["s0", "s1", "s2"], Int("axis", 1))
            .Node("Concat", ["s2", "s1"], ["y"], Int("axis", 1));
        GradientCheck.Check(g.Build(), new Dictionary<string, TestTensor> { ["x"] = R(2, 6) }, ["x"]);
    }

    [TestMethod]
    public void Slices()
    {
        // Known sizes: pads computed statically; a symbolic axis: pads computed at run time.
        var known = new TestGraph().Input("x", DataType.Double, 4, 6).Ints("starts", 1).Ints("ends", -1).Ints("axes", 1)
            .Node("Slice", ["x", "starts", "ends", "axes"], ["y"]);
        GradientCheck.Check(known.Build(), new Dictionary<string, TestTensor> { ["x"] = R(4, 6) }, ["x"]);

        var symbolic = new TestGraph().Input("x", DataType.Double, "batch", 6).Ints("starts", -3, 2).Ints("ends", long.MaxValue, 5).Ints("axes", 0, 1)
            .Node("Slice", ["x", "starts", "ends", "axes"], ["y"]);
        GradientCheck.Check(symbolic.Build(), new Dictionary<string, TestTensor> { ["x"] = R(5, 6) }, ["x"]);

        var implicitAxes = new TestGraph().Input("x", DataType.Double, 4, 6).Ints("starts", 1, 0).Ints("ends", 3, 4)
            .Node("Slice", ["x", "starts", "ends"], ["y"]);
        GradientCheck.Check(implicitAxes.Build(), new Dictionary<string, TestTensor> { ["x"] = R(4, 6) }, ["x"]);
    }

    [TestMethod]
    public void Trilu()
    {
        var g = new TestGraph().Input("x", DataType.Double, 4, 4).Ints("k", 1).Node("Reshape", ["k", "scalar"], ["k0"]).Ints("scalar")
            .Node("Trilu", ["x", "k0"], ["y"], Int("upper", 0));
        GradientCheck.Check(g.Build(), new Dictionary<string, TestTensor> { ["x"] = R(4, 4) }, ["x"]);
    }

    [TestMethod]
    public void GathersScatterTheirGradientBack()
    {
        // Repeated indices: the gradient adds up.
        CheckOp("Gather", [("data", R(5, 3)), ("i", TestTensor.Ints([2, 2, 0, 4], 2, 2))]);
        CheckOp("Gather", [("data", R(2, 5, 3)), ("i", TestTensor.Ints([4, 1, 1], 3))], [Int("axis", 1)]);
        CheckOp("Gather", [("data", R(5, 3)), ("i", TestTensor.Ints([3], []))]);
        CheckOp("GatherND", [("data", R(4, 3)), ("i", TestTensor.Ints([1, 3, 1], 3, 1))]);
        CheckOp("GatherElements", [("data", R(3, 4)), ("i", TestTensor.Ints([0, 3, 3, 1, 2, 2], 3, 2))], [Int("axis", 1)]);
    }

    [TestMethod]
    public void ScattersGatherTheirGradient()
    {
        CheckOp("ScatterND", [("data", R(4, 3)), ("i", TestTensor.Ints([1, 1], 2, 1)), ("u", R(2, 3))], [Text("reduction", "add")]);
        CheckOp("ScatterND", [("data", R(4, 3)), ("i", TestTensor.Ints([2, 0], 2, 1)), ("u", R(2, 3))]);
        CheckOp("ScatterElements", [("data", R(3, 4)), ("i", TestTensor.Ints([0, 3, 1, 2, 2, 0], 3, 2)), ("u", R(3, 2))], [Int("axis", 1)]);
        CheckOp("ScatterElements", [("data", R(3, 4)), ("i", TestTensor.Ints([0, 0, 1, 1, 2, 2], 3, 2)), ("u", R(3, 2))], [Int("axis", 1), Text("reduction", "add")]);
    }

    [TestMethod]
    public void TopKSendsTheGradientToTheSelectedElements()
    {
        var g = new TestGraph().Input("x", DataType.Double, "batch", 6).Ints("k", 3)
            .Node("TopK", ["x", "k"], ["y", "indices"], Int("axis", -1));
        GradientCheck.Check(g.Build(), new Dictionary<string, TestTensor> { ["x"] = R(4, 6) }, ["x"]);
    }

    [TestMethod]
    public void AnOpWithoutARuleIsNamedInTheError()
    {
        var g = new TestGraph().Input("x", DataType.Double, 3).Node("Sin", ["x"], ["y"]).Build();
        g.Graph.Output.Clear();
        g.Graph.Output.Add(new ValueInfoProto { Name = "y" });
        var error = Assert.ThrowsExactly<AutodiffException>(() => Differentiator.Differentiate(g, new GradientRequest("y", ["x"])));
        StringAssert.Contains(error.Message, "Sin");
        StringAssert.Contains(error.Message, "Sin_0");
    }

    [TestMethod]
    public void AnInputTheLossDoesNotReachGetsAZeroGradient()
    {
        var g = new TestGraph().Input("x", DataType.Double, 3).Input("unused", DataType.Double, 2).Node("Exp", ["x"], ["y"]);
        GradientCheck.Check(g.Build(), new Dictionary<string, TestTensor> { ["x"] = R(3), ["unused"] = R(2) }, ["x", "unused"]);
    }
}
