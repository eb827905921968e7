using Microsoft.ML.OnnxRuntime;

namespace Flame.Runtime.Tests;

[TestClass]
public sealed class IoBindingTests
{
    [TestMethod]
    public void BoundInputsRunRepeatedlyIntoAPreallocatedOutput()
    {
        using var session = new ModelSession(TinyModels.Add());
        var xData = new float[] { 1, 2, 3 };
        using var x = OrtValue.FromArray(xData, 1, 3);
        using var y = OrtValue.FromArray(new float[] { 1, 1, 1 }, 1, 3);
        var zData = new float[3];
        using var z = OrtValue.FromArray(zData, 1, 3);
        using var binding = session.CreateIoBinding();
        binding.BindInput("x", x);
        binding.BindInput("y", y);
        binding.BindOutput("z", z);

        session.Run(binding);
        CollectionAssert.AreEqual(new float[] { 2, 3, 4 }, zData, "ORT wrote into our array in place");

        xData[0] = 100; // the bound tensor is our pinned array: the next run sees the change
        session.Run(binding);
        CollectionAssert.AreEqual(new float[] { 101, 3, 4 }, zData);
    }

    [TestMethod]
    public void OutputBoundToADeviceIsAllocatedByOrt()
    {
        using var session = new ModelSession(TinyModels.Add());
        using var x = OrtValue.FromArray(new float[] { 1, 2, 3 }, 1, 3);
        using var binding = session.CreateIoBinding();
        using var cpu = DeviceMemories.Cpu();
        binding.BindInput("x", x);
        binding.BindInput("y", x);
        binding.BindOutputToDevice("z", cpu);

        session.Run(binding);
        binding.SynchronizeBoundOutputs();
        using var outputs = RunResults.Of(binding);

        CollectionAssert.AreEqual(new[] { "z" }, outputs.Names.ToArray());
        CollectionAssert.AreEqual(new float[] { 2, 4, 6 }, outputs["z"].ToArray<float>());
        Assert.AreEqual("Cpu", cpu.Name);
    }

    [TestMethod]
    public void ClearedInputsMustBeBoundAgain()
    {
        using var session = new ModelSession(TinyModels.Add());
        using var x = OrtValue.FromArray(new float[] { 1, 2, 3 }, 1, 3);
        using var binding = session.CreateIoBinding();
        using var cpu = DeviceMemories.Cpu();
        binding.BindInput("x", x);
        binding.BindInput("y", x);
        binding.BindOutputToDevice("z", cpu);
        binding.ClearBoundInputs();
        Assert.ThrowsExactly<OnnxRuntimeException>(() => session.Run(binding));
    }

    [TestMethod]
    public void RowsAreAViewThatWritesThrough()
    {
        using var whole = OrtValue.FromArray(new float[] { 1, 2, 3, 4, 5, 6 }, 3, 2);
        using (var rows = whole.Rows(1, 2))
        {
            CollectionAssert.AreEqual(new long[] { 2, 2 }, rows.Shape);
            CollectionAssert.AreEqual(new float[] { 3, 4, 5, 6 }, rows.ToArray<float>());
            rows.AsSpan<float>()[0] = 30;
        }

        CollectionAssert.AreEqual(new float[] { 1, 2, 30, 4, 5, 6 }, whole.ToArray<float>());
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => whole.Rows(2, 2));
    }
}
