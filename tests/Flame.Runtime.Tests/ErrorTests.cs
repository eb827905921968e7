namespace Flame.Runtime.Tests;

/// <summary>Bad input reaches the user as an exception carrying ORT's message (or ours, naming what is wrong).</summary>
[TestClass]
public sealed class ErrorTests
{
    [TestMethod]
    public void BadModelBytes()
    {
        var error = Assert.ThrowsExactly<OrtException>(() => new InferenceSession([1, 2, 3, 4, 5]));
        Assert.AreEqual(OrtErrorCode.InvalidProtobuf, error.Code, error.Message);
        StringAssert.Contains(error.Message, "ONNX Runtime:");
    }

    [TestMethod]
    public void MissingModelFile()
    {
        var error = Assert.ThrowsExactly<FileNotFoundException>(() => new InferenceSession("/nonexistent/model.onnx"));
        StringAssert.Contains(error.Message, "/nonexistent/model.onnx");
    }

    [TestMethod]
    public void WrongInputName()
    {
        using var session = new InferenceSession(TinyModels.Add());
        using var x = OrtValue.FromArray(new float[] { 1, 2, 3 }, 1, 3);
        var error = Assert.ThrowsExactly<ArgumentException>(() => session.Run(new Dictionary<string, OrtValue> { ["x"] = x, ["oops"] = x }));
        StringAssert.Contains(error.Message, "'oops'");
        StringAssert.Contains(error.Message, "x: Float[batch, 3]");
    }

    [TestMethod]
    public void WrongShape()
    {
        using var session = new InferenceSession(TinyModels.Add());
        using var x = OrtValue.FromArray(new float[] { 1, 2, 3, 4 }, 1, 4);
        var error = Assert.ThrowsExactly<OrtException>(() => session.Run(new Dictionary<string, OrtValue> { ["x"] = x, ["y"] = x }));
        Assert.AreEqual(OrtErrorCode.InvalidArgument, error.Code, error.Message);
        StringAssert.Contains(error.Message, "dimensions");
    }

    [TestMethod]
    public void WrongElementType()
    {
        using var session = new InferenceSession(TinyModels.Add());
        using var x = OrtValue.FromArray(new double[] { 1, 2, 3 }, 1, 3);
        var error = Assert.ThrowsExactly<OrtException>(() => session.Run(new Dictionary<string, OrtValue> { ["x"] = x, ["y"] = x }));
        StringAssert.Contains(error.Message, "type");
    }

    [TestMethod]
    public void ShapeThatDoesNotMatchTheArray()
    {
        var error = Assert.ThrowsExactly<ArgumentException>(() => OrtValue.FromArray(new float[5], 2, 3));
        StringAssert.Contains(error.Message, "6 elements");
    }

    [TestMethod]
    public void MissingLibraryNamesTheFolderAndTheVersion()
    {
        var error = Assert.ThrowsExactly<DllNotFoundException>(() => RuntimeInfo.CheckLibrary(["/nonexistent/ort"]));
        StringAssert.Contains(error.Message, "/nonexistent/ort");
        StringAssert.Contains(error.Message, "1.29");
    }

    [TestMethod]
    public void NotAnOrtLibrary()
    {
        var folder = Directory.CreateTempSubdirectory("fake-ort-").FullName;
        File.Copy(Path.Combine(AppContext.BaseDirectory, "libduckdb.so") is var duck && File.Exists(duck) ? duck : "/usr/lib/x86_64-linux-gnu/libzstd.so.1",
            Path.Combine(folder, "libonnxruntime.so.1"));
        try
        {
            var error = Assert.ThrowsExactly<DllNotFoundException>(() => RuntimeInfo.CheckLibrary([folder]));
            StringAssert.Contains(error.Message, "OrtGetApiBase");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    public void CudaOnACpuOnlyMachineIsAClearErrorNotACrash()
    {
        var info = RuntimeInfo.Probe();
        if (info.CudaUsable)
        {
            Assert.Inconclusive("this machine has a working CUDA provider");
        }

        var error = Assert.ThrowsExactly<OrtException>(() => new InferenceSession(TinyModels.Add(), new SessionSettings { Device = ExecutionDevice.Cuda() }));
        StringAssert.Contains(error.Message, "flame setup cuda");
    }

    [TestMethod]
    public void RunOptionsTerminateStopsARun()
    {
        using var session = new InferenceSession(TinyModels.Add());
        using var x = OrtValue.FromArray(new float[] { 1, 2, 3 }, 1, 3);
        using var options = new RunOptions("terminated-run");
        options.Terminate();
        var error = Assert.ThrowsExactly<OrtException>(() => session.Run(new Dictionary<string, OrtValue> { ["x"] = x, ["y"] = x }, options: options));
        StringAssert.Contains(error.Message, "terminat", StringComparison.OrdinalIgnoreCase);

        options.Resume();
        using var results = session.Run(new Dictionary<string, OrtValue> { ["x"] = x, ["y"] = x }, options: options);
        CollectionAssert.AreEqual(new float[] { 2, 4, 6 }, results["z"].ToArray<float>());
    }
}
