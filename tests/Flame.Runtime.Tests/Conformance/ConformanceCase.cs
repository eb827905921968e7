using Flame.Onnx.Proto;
using Flame.Onnx.Tensors;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Flame.Runtime.Tests.Conformance;

/// <summary>
/// One ONNX backend node test: a folder with model.onnx and test_data_set_N/ folders of
/// input_i.pb / output_i.pb TensorProtos, matched by position to the graph's inputs
/// (initializers excluded) and outputs.
/// </summary>
internal sealed record ConformanceCase(string Name, string Folder)
{
    public const string SuiteRoot = "/usr/include/onnx/backend/test/data/node";

    public static IReadOnlyList<ConformanceCase> All() =>
        Directory.Exists(SuiteRoot)
            ? Directory.GetDirectories(SuiteRoot).Order(StringComparer.Ordinal).Select(d => new ConformanceCase(Path.GetFileName(d), d)).ToList()
            : [];

    /// <summary>Runs every data set; returns null when all outputs match, else what differed.</summary>
    public string? Run()
    {
        var bytes = File.ReadAllBytes(Path.Combine(Folder, "model.onnx"));
        var model = ModelProto.Parser.ParseFrom(bytes);
        var initializers = model.Graph.Initializer.Select(i => i.Name).ToHashSet();
        var inputs = model.Graph.Input.Where(i => !initializers.Contains(i.Name)).ToList();
        var outputs = model.Graph.Output.ToList();
        if (inputs.Concat(outputs).Any(v => v.Type?.ValueCase != TypeProto.ValueOneofCase.TensorType))
        {
            throw new NotSupportedException("sequence, map or optional values (our API binds tensors)");
        }

        using var session = new ModelSession(bytes, new SessionSettings { IntraOpThreads = 1 });
        foreach (var dataSet in Directory.GetDirectories(Folder, "test_data_set_*").Order(StringComparer.Ordinal))
        {
            var values = new Dictionary<string, OrtValue>();
            try
            {
                for (var i = 0; i < inputs.Count; i++)
                {
                    var file = Path.Combine(dataSet, $"input_{i}.pb");
                    if (File.Exists(file))
                    {
                        values[inputs[i].Name] = ToOrtValue(TensorProto.Parser.ParseFrom(File.ReadAllBytes(file)), DeclaredType(inputs[i]));
                    }
                }

                // An optional input left out by the test keeps the model's default: bind only those given.
                var given = session.Inputs.Where(i => values.ContainsKey(i.Name)).ToList();
                if (given.Count < session.Inputs.Count)
                {
                    throw new NotSupportedException("omitted optional inputs");
                }

                using var results = session.Run(values, outputs.Select(o => o.Name).ToList());
                for (var o = 0; o < outputs.Count; o++)
                {
                    var expected = TensorProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(dataSet, $"output_{o}.pb")));
                    var difference = TensorComparison.Compare(expected, DeclaredType(outputs[o]), results[outputs[o].Name]);
                    if (difference is not null)
                    {
                        return $"{Path.GetFileName(dataSet)} output '{outputs[o].Name}': {difference}";
                    }
                }
            }
            finally
            {
                foreach (var value in values.Values)
                {
                    value.Dispose();
                }
            }
        }

        return null;
    }

    // The suite's bfloat16 data files say UINT16 (onnx 1.12); the graph's declaration is authoritative.
    private static TensorElementType DeclaredType(ValueInfoProto value) => (TensorElementType)value.Type.TensorType.ElemType;

    private static OrtValue ToOrtValue(TensorProto tensor, TensorElementType declared)
    {
        var stored = (TensorElementType)tensor.DataType;
        var type = TensorElementTypes.SizeOf(declared) == TensorElementTypes.SizeOf(stored) ? declared : stored;
        if (TensorElementTypes.SizeOf(type) == 0)
        {
            throw new NotSupportedException($"{(TensorProto.Types.DataType)tensor.DataType} tensors (our API binds fixed-size element types)");
        }

        return OrtValue.FromBytes(type, OnnxTensors.ToBytes(tensor), tensor.Dims.ToArray());
    }
}
