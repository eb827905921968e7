using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
namespace Flame.Runtime.Tests;

[TestClass]
public sealed class SessionTests
{
    [TestMethod]
    public void RunsAModelAndReadsItsOutput()
    {
        using var session = new ModelSession(TinyModels.Add());
        using var x = OrtValue.FromArray(new float[] { 1, 2, 3, 4, 5, 6 }, 2, 3);
        using var y = OrtValue.FromArray(new float[] { 10, 20, 30, 40, 50, 60 }, 2, 3);

        using var results = session.Run(new Dictionary<string, OrtValue> { ["x"] = x, ["y"] = y });

        CollectionAssert.AreEqual(new float[] { 11, 22, 33, 44, 55, 66 }, results["z"].ToArray<float>());
        CollectionAssert.AreEqual(new long[] { 2, 3 }, results["z"].Shape);
        Assert.AreEqual(TensorElementType.Float, results["z"].ElementType);
    }

    [TestMethod]
    public void SessionsOnTheSharedCpuArenaComputeWhatTheirOwnArenasDo()
    {
        var settings = new SessionSettings { SharedCpuArena = true };
        using var first = new ModelSession(TinyModels.Add(), settings);
        using var second = new ModelSession(TinyModels.Add(), settings);
        using var x = OrtValue.FromArray(Enumerable.Range(0, 3000).Select(i => (float)i).ToArray(), 1000, 3);
        using var y = OrtValue.FromArray(Enumerable.Range(0, 3000).Select(i => 0.5f * i).ToArray(), 1000, 3);
        var inputs = new Dictionary<string, OrtValue> { ["x"] = x, ["y"] = y };
        using var a = first.Run(inputs);
        using var b = second.Run(inputs);
        var expected = Enumerable.Range(0, 3000).Select(i => 1.5f * i).ToArray();
        CollectionAssert.AreEqual(expected, a["z"].ToArray<float>());
        CollectionAssert.AreEqual(expected, b["z"].ToArray<float>());
    }

    [TestMethod]
    public void ReportsInputAndOutputMetadataWithSymbolicDimensions()
    {
        using var session = new ModelSession(TinyModels.Add());

        CollectionAssert.AreEqual(new[] { "x", "y" }, session.Inputs.Select(i => i.Name).ToArray());
        Assert.AreEqual(TensorElementType.Float, session.Outputs[0].ElementType);
        CollectionAssert.AreEqual(new long[] { -1, 3 }, session.Inputs[0].Shape);
        Assert.AreEqual("batch", session.Inputs[0].SymbolicDimensions[0]);
        Assert.AreEqual("x: Float[batch, 3]", session.Inputs[0].ToString());
    }

    [TestMethod]
    public void DoublePrecisionMatMul()
    {
        using var session = new ModelSession(TinyModels.MatMulDouble());
        using var x = OrtValue.FromArray(new double[] { 1, 2, 3, 4 }, 2, 2);
        using var w = OrtValue.FromArray(new double[] { 0.5, 0, 0, 2 }, 2, 2);
        using var results = session.Run(new Dictionary<string, OrtValue> { ["x"] = x, ["w"] = w });
        CollectionAssert.AreEqual(new double[] { 0.5, 4, 1.5, 8 }, results["y"].ToArray<double>());
    }

    [TestMethod]
    public void LoadsAModelFromAFile()
    {
        var path = Path.Combine(Path.GetTempPath(), $"add-{Guid.NewGuid():N}.onnx");
        File.WriteAllBytes(path, TinyModels.Add());
        try
        {
            using var session = new ModelSession(path, new SessionSettings { IntraOpThreads = 1, Optimization = GraphOptimization.Basic });
            Assert.AreEqual("z", session.Outputs.Single().Name);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void OrtAllocatedTensorsCanBeWrittenAndRead()
    {
        using var value = OrtValue.Allocate<long>(2, 2);
        value.AsSpan<long>().Fill(7);
        CollectionAssert.AreEqual(new long[] { 7, 7, 7, 7 }, value.ToArray<long>());
        Assert.AreEqual("Cpu", value.MemoryName);
        Assert.ThrowsExactly<InvalidOperationException>(() => value.AsSpan<float>());
    }

    [TestMethod]
    public void ProfilingWritesATraceFile()
    {
        var prefix = Path.Combine(Path.GetTempPath(), $"flame-profile-{Guid.NewGuid():N}");
        using var session = new ModelSession(TinyModels.Add(), new SessionSettings { ProfilingPrefix = prefix });
        using var x = OrtValue.FromArray(new float[] { 1, 2, 3 }, 1, 3);
        session.Run(new Dictionary<string, OrtValue> { ["x"] = x, ["y"] = x }).Dispose();

        var file = session.EndProfiling();

        Assert.IsTrue(File.Exists(file), file);
        var operators = OrtProfile.ByOperator(file);
        File.Delete(file);
        var add = operators.Single(o => o.Operator == "Add");
        Assert.AreEqual(1, add.Calls);
        Assert.AreEqual("CPUExecutionProvider", add.Provider);
        Assert.AreEqual(1.0, operators.Sum(o => o.Share), 1e-9);
    }
}
