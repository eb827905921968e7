using Flame.Onnx.Models;
using Flame.Onnx.Proto;
using Flame.Onnx.Tensors;

namespace Flame.Onnx.Tests;

[TestClass]
public sealed class OnnxModelFileTests
{
    private string _folder = null!;

    [TestInitialize]
    public void CreateFolder() => _folder = Directory.CreateTempSubdirectory("flame-onnx-").FullName;

    [TestCleanup]
    public void DeleteFolder() => Directory.Delete(_folder, recursive: true);

    private static ModelProto ModelWith(params TensorProto[] initializers)
    {
        var graph = new GraphProto { Name = "g" };
        graph.Initializer.AddRange(initializers);
        var model = new ModelProto { IrVersion = 8, Graph = graph, OpsetImport = { new OperatorSetIdProto { Version = 17 } } };
        model.MetadataProps.Add(new StringStringEntryProto { Key = "config", Value = "{\"layers\":2}" });
        var function = new FunctionProto { Name = "TopKRouter", Domain = "ai.flame", Input = { "x" }, Output = { "y" } };
        function.Node.Add(new NodeProto { OpType = "Identity", Input = { "x" }, Output = { "y" } });
        function.OpsetImport.Add(new OperatorSetIdProto { Version = 17 });
        model.Functions.Add(function);
        return model;
    }

    [TestMethod]
    public void LargeTensorsGoToAnAlignedDataFileAndComeBack()
    {
        var big = OnnxTensors.Create("big", Enumerable.Range(0, 3000).Select(i => (float)i).ToArray(), 3000);
        var small = OnnxTensors.Create("small", new float[] { 1, 2 }, 2);
        var other = OnnxTensors.Create("other", Enumerable.Range(0, 1500).Select(i => (long)i).ToArray(), 1500);
        var path = Path.Combine(_folder, "model.onnx");

        OnnxModelFile.Save(ModelWith(big, small, other), path, new ExternalDataOptions(ThresholdBytes: 1024));

        var onDisk = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
        var external = onDisk.Graph.Initializer.Where(t => t.DataLocation == TensorProto.Types.DataLocation.External).ToList();
        CollectionAssert.AreEqual(new[] { "big", "other" }, external.Select(t => t.Name).ToArray());
        Assert.IsTrue(onDisk.Graph.Initializer.Single(t => t.Name == "small").RawData.Length == 8, "small tensors stay inline");
        Assert.AreEqual("model.onnx.data", external[0].ExternalData.Single(e => e.Key == "location").Value);
        Assert.AreEqual(0, long.Parse(external[1].ExternalData.Single(e => e.Key == "offset").Value) % ExternalDataOptions.Alignment);

        var loaded = OnnxModelFile.Load(path);
        CollectionAssert.AreEqual(OnnxTensors.ToArray<float>(big), OnnxTensors.ToArray<float>(loaded.Graph.Initializer[0]));
        CollectionAssert.AreEqual(OnnxTensors.ToArray<long>(other), OnnxTensors.ToArray<long>(loaded.Graph.Initializer[2]));
    }

    [TestMethod]
    public void FunctionsAndMetadataSurviveSaveAndLoad()
    {
        var path = Path.Combine(_folder, "f.onnx");
        OnnxModelFile.Save(ModelWith(), path);
        var loaded = OnnxModelFile.Load(path);
        Assert.AreEqual("ai.flame", loaded.Functions.Single().Domain);
        Assert.AreEqual("Identity", loaded.Functions.Single().Node.Single().OpType);
        Assert.AreEqual("{\"layers\":2}", loaded.MetadataProps.Single().Value);
        Assert.IsFalse(File.Exists(path + ".data"), "nothing large: no data file");
    }

    [TestMethod]
    public void SavingDoesNotChangeTheCallersModel()
    {
        var model = ModelWith(OnnxTensors.Create("big", new float[1000], 1000));
        OnnxModelFile.Save(model, Path.Combine(_folder, "m.onnx"), new ExternalDataOptions(ThresholdBytes: 16));
        Assert.AreEqual(4000, model.Graph.Initializer[0].RawData.Length);
    }

    [TestMethod]
    public void CorruptModelNamesTheFile()
    {
        var path = Path.Combine(_folder, "bad.onnx");
        File.WriteAllBytes(path, [0xff, 0xff, 0xff, 0x01, 0x02]);
        var error = Assert.ThrowsExactly<InvalidDataException>(() => OnnxModelFile.Load(path));
        StringAssert.Contains(error.Message, path);
    }

    [TestMethod]
    public void MissingOrShortDataFileNamesIt()
    {
        var path = Path.Combine(_folder, "m.onnx");
        OnnxModelFile.Save(ModelWith(OnnxTensors.Create("big", new float[1000], 1000)), path, new ExternalDataOptions(ThresholdBytes: 16));
        var data = path + ".data";

        File.WriteAllBytes(data, new byte[100]);
        var error = Assert.ThrowsExactly<InvalidDataException>(() => OnnxModelFile.Load(path));
        StringAssert.Contains(error.Message, data);

        File.Delete(data);
        error = Assert.ThrowsExactly<InvalidDataException>(() => OnnxModelFile.Load(path));
        StringAssert.Contains(error.Message, "missing");
    }
}
