using System.Runtime.InteropServices;
using Flame.Import.Torch;

namespace Flame.Import.Tests;

[TestClass]
public sealed class TorchDTypeTests
{
    private static float[] Convert<T>(TorchDType dtype, params T[] values) where T : unmanaged
    {
        var result = new float[values.Length];
        dtype.ToFloat(MemoryMarshal.AsBytes(values.AsSpan()), result);
        return result;
    }

    [TestMethod]
    public void HalfPrecisionTypesConvertExactly()
    {
        // bf16 is float32's upper 16 bits: 0x3FC0 = 1.5, 0xC020 = -2.5, 0x0001 = the smallest subnormal's upper half.
        CollectionAssert.AreEqual(new[] { 1.5f, -2.5f, BitConverter.Int32BitsToSingle(0x00010000) }, Convert<ushort>(TorchDType.BFloat16, 0x3FC0, 0xC020, 0x0001));
        CollectionAssert.AreEqual(new[] { 1.5f, -65504f, 5.9604645E-08f }, Convert(TorchDType.Float16, (Half)1.5f, Half.MinValue, Half.Epsilon));
    }

    [TestMethod]
    public void WiderTypesConvert()
    {
        CollectionAssert.AreEqual(new[] { 0.1f, -3f }, Convert(TorchDType.Float32, 0.1f, -3f));
        CollectionAssert.AreEqual(new[] { 0.1f, 1e30f }, Convert(TorchDType.Float64, 0.1, 1e30));
    }

    [TestMethod]
    public void NamesAreTorchs()
    {
        Assert.AreEqual(TorchDType.BFloat16, TorchDType.FromStorageName("BFloat16Storage"));
        Assert.AreEqual(TorchDType.Float16, TorchDType.FromDTypeName("half"));
        Assert.AreEqual(TorchDType.Float32, TorchDType.FromDTypeName("float"));
        Assert.IsNull(TorchDType.FromDTypeName("float8_e4m3fn"));
        Assert.ThrowsExactly<InvalidDataException>(() => Convert(TorchDType.Int64, 1L));
    }
}
