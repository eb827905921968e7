namespace Flame.Runtime.Tests;

[TestClass]
public sealed class IoBindingTests
{
    [TestMethod]
    public void BoundInputsRunRepeatedlyIntoAPreallocatedOutput()
    {
        using var session = new InferenceSession(TinyModels.Add());
        var xData = new float[] { 1, 2, 3 };
        using var x = OrtValue.FromArray(xData, 1, 3);
        using var y = OrtValue.FromArray(new float[] { 1, 1, 1 }, 1, 3);
        var zData = new float[3];
        using var z = OrtValue.FromArray(zData, 1, 3);
        using var binding = session.CreateIoBinding();
        binding.BindInput("x", x);
        binding.BindInput("y", y);
        binding.BindOutput("z", z);

        binding.Run();
        CollectionAssert.AreEqual(new float[] { 2, 3, 4 }, zData, "ORT wrote into our array in place");

        xData[0] = 100; // the bound tensor is our pinned array: the next run sees the change
        binding.Run();
        CollectionAssert.AreEqual(new float[] { 101, 3, 4 }, zData);
    }

    [TestMethod]
    public void OutputBoundToADeviceIsAllocatedByOrt()
    {
        using var session = new InferenceSession(TinyModels.Add());
        using var x = OrtValue.FromArray(new float[] { 1, 2, 3 }, 1, 3);
        using var binding = session.CreateIoBinding();
        using var cpu = OrtMemoryInfo.Cpu();
        binding.BindInput("x", x);
        binding.BindInput("y", x);
        binding.BindOutput("z", cpu);

        binding.Run();
        binding.SynchronizeOutputs();
        using var outputs = binding.GetOutputs();

        CollectionAssert.AreEqual(new[] { "z" }, outputs.Names.ToArray());
        CollectionAssert.AreEqual(new float[] { 2, 4, 6 }, outputs["z"].ToArray<float>());
        Assert.AreEqual("Cpu", cpu.Name);
    }

    [TestMethod]
    public void ClearedInputsMustBeBoundAgain()
    {
        using var session = new InferenceSession(TinyModels.Add());
        using var x = OrtValue.FromArray(new float[] { 1, 2, 3 }, 1, 3);
        using var binding = session.CreateIoBinding();
        using var cpu = OrtMemoryInfo.Cpu();
        binding.BindInput("x", x);
        binding.BindInput("y", x);
        binding.BindOutput("z", cpu);
        binding.ClearInputs();
        Assert.ThrowsExactly<OrtException>(() => binding.Run());
    }
}
