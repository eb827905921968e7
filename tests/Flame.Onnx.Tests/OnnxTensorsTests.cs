using Flame.Onnx.Proto;
using Flame.Onnx.Tensors;
using DataType = Flame.Onnx.Proto.TensorProto.Types.DataType;

namespace Flame.Onnx.Tests;

[TestClass]
public sealed class OnnxTensorsTests
{
    [TestMethod]
    public void EveryElementTypeRoundTripsThroughRawData()
    {
        RoundTrip(new[] { 1.5f, -2f, float.NaN }, DataType.Float);
        RoundTrip(new[] { 1.5, -2.25 }, DataType.Double);
        RoundTrip(new[] { long.MinValue, 7L }, DataType.Int64);
        RoundTrip(new[] { int.MaxValue, -1 }, DataType.Int32);
        RoundTrip(new short[] { -3, 4 }, DataType.Int16);
        RoundTrip(new sbyte[] { -3, 4 }, DataType.Int8);
        RoundTrip(new byte[] { 0, 255 }, DataType.Uint8);
        RoundTrip(new ushort[] { 65535, 1 }, DataType.Uint16);
        RoundTrip(new uint[] { uint.MaxValue }, DataType.Uint32);
        RoundTrip(new ulong[] { ulong.MaxValue }, DataType.Uint64);
        RoundTrip(new[] { true, false }, DataType.Bool);
        RoundTrip(new[] { (Half)0.5, (Half)(-1) }, DataType.Float16);
    }

    [TestMethod]
    public void TypedFieldsAreReadLikeRawData()
    {
        var floats = new TensorProto { Name = "f", DataType = (int)DataType.Float, Dims = { 2 }, FloatData = { 1f, 2f } };
        CollectionAssert.AreEqual(new[] { 1f, 2f }, OnnxTensors.ToArray<float>(floats));

        // int32_data carries the 16-bit patterns of float16 values.
        var halves = new TensorProto { Name = "h", DataType = (int)DataType.Float16, Dims = { 1 }, Int32Data = { BitConverter.HalfToUInt16Bits((Half)1.5) } };
        Assert.AreEqual((Half)1.5, OnnxTensors.ToArray<Half>(halves)[0]);

        var bools = new TensorProto { Name = "b", DataType = (int)DataType.Bool, Dims = { 3 }, Int32Data = { 1, 0, 1 } };
        CollectionAssert.AreEqual(new[] { true, false, true }, OnnxTensors.ToArray<bool>(bools));
        CollectionAssert.AreEqual(new byte[] { 1, 0, 1 }, OnnxTensors.ToBytes(bools));

        var longs = new TensorProto { Name = "l", DataType = (int)DataType.Int64, Int64Data = { 42 } };
        Assert.AreEqual(42L, OnnxTensors.ToArray<long>(longs).Single(), "no dims: a scalar");
    }

    [TestMethod]
    public void MismatchesNameTheTensor()
    {
        var tensor = OnnxTensors.Create("weights", new float[] { 1, 2, 3, 4 }, 2, 2);
        var error = Assert.ThrowsExactly<InvalidDataException>(() => OnnxTensors.ToArray<double>(tensor));
        StringAssert.Contains(error.Message, "'weights'");

        tensor.Dims[1] = 3;
        error = Assert.ThrowsExactly<InvalidDataException>(() => OnnxTensors.ToArray<float>(tensor));
        StringAssert.Contains(error.Message, "16 bytes");

        Assert.ThrowsExactly<ArgumentException>(() => OnnxTensors.Create("x", new float[3], 2, 2));
    }

    private static void RoundTrip<T>(T[] values, DataType expectedType) where T : unmanaged
    {
        var tensor = OnnxTensors.Create("t", values, values.Length);
        Assert.AreEqual((int)expectedType, tensor.DataType, typeof(T).Name);
        CollectionAssert.AreEqual(values, OnnxTensors.ToArray<T>(tensor), typeof(T).Name);
    }
}
