using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Flame.Runtime.Tests;

[TestClass]
public sealed class AllocatorTests
{
    [TestMethod]
    public void ASessionsCpuAllocatorMakesTensorsThatBindAndRun()
    {
        using var session = new ModelSession(TinyModels.Add());
        using var cpu = DeviceMemories.Cpu();
        using var allocator = session.CreateAllocator(cpu);
        using var x = OrtValue.CreateAllocatedTensorValue(allocator, TensorElementType.Float, [1, 3]);
        x.AsSpan<float>().Fill(2);
        using var z = OrtValue.CreateAllocatedTensorValue(allocator, TensorElementType.Float, [1, 3]);
        using var binding = session.CreateIoBinding();
        binding.BindInput("x", x);
        binding.BindInput("y", x);
        binding.BindOutput("z", z);

        session.Run(binding);

        Assert.AreEqual("Cpu", z.MemoryName);
        CollectionAssert.AreEqual(new float[] { 4, 4, 4 }, z.ToArray<float>());
    }

    [TestMethod]
    public void CudaMemoryOnACpuSessionIsAClearError()
    {
        using var session = new ModelSession(TinyModels.Add());
        using var cuda = DeviceMemories.Cuda();
        Assert.AreEqual("Cuda", cuda.Name);
        Assert.AreEqual(0, cuda.Id);
        Assert.ThrowsExactly<OnnxRuntimeException>(() => session.CreateAllocator(cuda));
    }
}
