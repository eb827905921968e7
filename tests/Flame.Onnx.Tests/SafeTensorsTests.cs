using System.Text;
using Flame.Onnx.SafeTensors;

namespace Flame.Onnx.Tests;

[TestClass]
public sealed class SafeTensorsTests
{
    private string _folder = null!;

    [TestInitialize]
    public void CreateFolder() => _folder = Directory.CreateTempSubdirectory("flame-st-").FullName;

    [TestCleanup]
    public void DeleteFolder() => Directory.Delete(_folder, recursive: true);

    private string PathOf(string name) => Path.Combine(_folder, name);

    [TestMethod]
    public void GoldenBytesOfATinyFile()
    {
        var path = PathOf("tiny.safetensors");
        SafeTensorsWriter.Write(path, [SafeTensor.From("a", new float[] { 1, 2 }, 2)]);

        var bytes = File.ReadAllBytes(path);
        const string json = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}"; // 54 bytes, padded to 56
        Assert.AreEqual(56UL, BitConverter.ToUInt64(bytes, 0));
        Assert.AreEqual(json + "  ", Encoding.UTF8.GetString(bytes, 8, 56));
        CollectionAssert.AreEqual(BitConverter.GetBytes(1f).Concat(BitConverter.GetBytes(2f)).ToArray(), bytes[64..]);
    }

    [TestMethod]
    public void RoundTripsTensorsAndMetadata()
    {
        var path = PathOf("ck.safetensors");
        SafeTensorsWriter.Write(path,
        [
            SafeTensor.From("layers.0.attn.qkv.weight", new float[] { 1, 2, 3, 4, 5, 6 }, 2, 3),
            SafeTensor.From("step", new long[] { 42 }),
            SafeTensor.From("mask", new[] { true, false }, 2),
            new SafeTensor("bf", "BF16", [2], new byte[] { 0x80, 0x3f, 0x00, 0x40 }),
        ], new Dictionary<string, string> { ["format"] = "flame" });

        using var file = SafeTensorsFile.Open(path);
        CollectionAssert.AreEqual(new float[] { 1, 2, 3, 4, 5, 6 }, file.Read<float>("layers.0.attn.qkv.weight"));
        CollectionAssert.AreEqual(new long[] { 2, 3 }, file.Get("layers.0.attn.qkv.weight").Shape);
        Assert.AreEqual(42L, file.Read<long>("step").Single());
        CollectionAssert.AreEqual(new[] { true, false }, file.Read<bool>("mask"));
        CollectionAssert.AreEqual(new byte[] { 0x80, 0x3f, 0x00, 0x40 }, file.ReadBytes("bf"));
        Assert.AreEqual("flame", file.Metadata["format"]);
        Assert.ThrowsExactly<InvalidDataException>(() => file.Read<double>("step"));
        Assert.ThrowsExactly<KeyNotFoundException>(() => file.Read<float>("nope"));
    }

    [TestMethod]
    public void ReadExpectedNamesTheFileTensorAndExpectation()
    {
        var path = Path.Combine(_folder, "w.safetensors");
        SafeTensorsWriter.Write(path, [SafeTensor.From<float>("w", [1f, 2f, 3f, 4f], 2, 2)]);
        using var file = SafeTensorsFile.Open(path);

        Assert.HasCount(16, file.ReadExpected("w", "F32", [2, 2]));
        var missing = Assert.Throws<InvalidDataException>(() => file.ReadExpected("v", "F32", [2, 2]));
        StringAssert.Contains(missing.Message, path);
        StringAssert.Contains(missing.Message, "'v'");
        var shape = Assert.Throws<InvalidDataException>(() => file.ReadExpected("w", "F32", [4]));
        StringAssert.Contains(shape.Message, "is F32[2, 2], expected F32[4]");
    }

    [TestMethod]
    public void TruncatedFileNamesTheFile()
    {
        var path = PathOf("t.safetensors");
        SafeTensorsWriter.Write(path, [SafeTensor.From("a", new float[] { 1, 2 }, 2)]);
        var bytes = File.ReadAllBytes(path);

        File.WriteAllBytes(path, bytes[..^4]);
        var error = Assert.ThrowsExactly<InvalidDataException>(() => SafeTensorsFile.Open(path));
        StringAssert.Contains(error.Message, path);
        StringAssert.Contains(error.Message, "truncated");

        File.WriteAllBytes(path, bytes[..20]);
        error = Assert.ThrowsExactly<InvalidDataException>(() => SafeTensorsFile.Open(path));
        StringAssert.Contains(error.Message, "header size");

        File.WriteAllBytes(path, bytes[..3]);
        Assert.ThrowsExactly<InvalidDataException>(() => SafeTensorsFile.Open(path));
    }

    [TestMethod]
    public void MalformedHeadersAreRejected()
    {
        AssertRejected("{not json", "not valid JSON");
        AssertRejected("{\"a\":{\"dtype\":\"F99\",\"shape\":[1],\"data_offsets\":[0,4]}}", "unknown dtype");
        AssertRejected("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", "needs 8 bytes");
        AssertRejected("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[2,6]}}", "overlapping");
        AssertRejected("{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", "data_offsets");
    }

    private void AssertRejected(string header, string expected)
    {
        var path = PathOf("bad.safetensors");
        var json = Encoding.UTF8.GetBytes(header);
        File.WriteAllBytes(path, [.. BitConverter.GetBytes((ulong)json.Length), .. json, .. new byte[8]]);
        var error = Assert.ThrowsExactly<InvalidDataException>(() => SafeTensorsFile.Open(path));
        StringAssert.Contains(error.Message, expected, header);
        StringAssert.Contains(error.Message, path);
    }
}
