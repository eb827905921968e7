namespace Flame.Runtime.Tests;

[TestClass]
public sealed class AllocatorTests
{
    [TestMethod]
    public void ASessionsCpuAllocatorMakesTensorsThatBindAndRun()
    {
        using var session = new InferenceSession(TinyModels.Add());
        using var cpu = OrtMemoryInfo.Cpu();
        using var allocator = session.CreateAllocator(cpu);
        using var x = allocator.Allocate(TensorElementType.Float, 1, 3);
        x.AsSpan<float>().Fill(2);
        using var z = allocator.Allocate(TensorElementType.Float, 1, 3);
        using var binding = session.CreateIoBinding();
        binding.BindInput("x", x);
        binding.BindInput("y", x);
        binding.BindOutput("z", z);

        binding.Run();

        Assert.AreEqual("Cpu", allocator.MemoryName);
        CollectionAssert.AreEqual(new float[] { 4, 4, 4 }, z.ToArray<float>());
    }

    [TestMethod]
    public void CudaMemoryOnACpuSessionIsAClearError()
    {
        using var session = new InferenceSession(TinyModels.Add());
        using var cuda = OrtMemoryInfo.Cuda();
        Assert.AreEqual("Cuda", cuda.Name);
        Assert.AreEqual(0, cuda.DeviceId);
        Assert.ThrowsExactly<OrtException>(() => session.CreateAllocator(cuda));
    }
}
