using Microsoft.ML.OnnxRuntime;

namespace Flame.Runtime.Tests;

/// <summary>Bad input reaches the user as an exception carrying ORT's message (or ours, naming what is wrong).</summary>
[TestClass]
public sealed class ErrorTests
{
    [TestMethod]
    public void BadModelBytes()
    {
        var error = Assert.ThrowsExactly<OnnxRuntimeException>(() => new ModelSession([1, 2, 3, 4, 5]));
        StringAssert.Contains(error.Message, "[ErrorCode:InvalidProtobuf]");
    }

    [TestMethod]
    public void MissingModelFile()
    {
        var error = Assert.ThrowsExactly<FileNotFoundException>(() => new ModelSession("/nonexistent/model.onnx"));
        StringAssert.Contains(error.Message, "/nonexistent/model.onnx");
    }

    [TestMethod]
    public void WrongInputName()
    {
        using var session = new ModelSession(TinyModels.Add());
        using var x = OrtValue.FromArray(new float[] { 1, 2, 3 }, 1, 3);
        var error = Assert.ThrowsExactly<ArgumentException>(() => session.Run(new Dictionary<string, OrtValue> { ["x"] = x, ["oops"] = x }));
        StringAssert.Contains(error.Message, "'oops'");
        StringAssert.Contains(error.Message, "x: Float[batch, 3]");
    }

    [TestMethod]
    public void WrongShape()
    {
        using var session = new ModelSession(TinyModels.Add());
        using var x = OrtValue.FromArray(new float[] { 1, 2, 3, 4 }, 1, 4);
        var error = Assert.ThrowsExactly<OnnxRuntimeException>(() => session.Run(new Dictionary<string, OrtValue> { ["x"] = x, ["y"] = x }));
        StringAssert.Contains(error.Message, "[ErrorCode:InvalidArgument]");
        StringAssert.Contains(error.Message, "dimensions");
    }

    [TestMethod]
    public void WrongElementType()
    {
        using var session = new ModelSession(TinyModels.Add());
        using var x = OrtValue.FromArray(new double[] { 1, 2, 3 }, 1, 3);
        var error = Assert.ThrowsExactly<OnnxRuntimeException>(() => session.Run(new Dictionary<string, OrtValue> { ["x"] = x, ["y"] = x }));
        StringAssert.Contains(error.Message, "type");
    }

    [TestMethod]
    public void ShapeThatDoesNotMatchTheArray()
    {
        var error = Assert.ThrowsExactly<ArgumentException>(() => OrtValue.FromArray(new float[5], 2, 3));
        StringAssert.Contains(error.Message, "6 elements");
    }

    [TestMethod]
    public void CudaOnACpuOnlyMachineIsAClearErrorNotACrash()
    {
        var info = RuntimeInfo.Probe();
        if (info.CudaUsable)
        {
            Assert.Inconclusive("this machine has a working CUDA provider");
        }

        var error = Assert.ThrowsExactly<DeviceUnavailableException>(() => new ModelSession(TinyModels.Add(), new SessionSettings { Device = ExecutionDevice.Cuda() }));
        StringAssert.Contains(error.Message, "flame setup cuda");
        StringAssert.Contains(error.Message, "not enabled in this build", "ORT's own reason is kept");
    }

    [TestMethod]
    public void RunOptionsTerminateStopsARun()
    {
        using var session = new ModelSession(TinyModels.Add());
        using var x = OrtValue.FromArray(new float[] { 1, 2, 3 }, 1, 3);
        using var options = new RunOptions { LogId = "terminated-run", Terminate = true };
        var error = Assert.ThrowsExactly<OnnxRuntimeException>(() => session.Run(new Dictionary<string, OrtValue> { ["x"] = x, ["y"] = x }, options: options));
        StringAssert.Contains(error.Message, "terminat", StringComparison.OrdinalIgnoreCase);

        options.Terminate = false;
        using var results = session.Run(new Dictionary<string, OrtValue> { ["x"] = x, ["y"] = x }, options: options);
        CollectionAssert.AreEqual(new float[] { 2, 4, 6 }, results["z"].ToArray<float>());
    }
}
