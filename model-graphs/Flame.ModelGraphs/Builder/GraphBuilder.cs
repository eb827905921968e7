using Flame.Onnx.Proto;
using Flame.Onnx.Tensors;
using Google.Protobuf;
using DataType = Flame.Onnx.Proto.TensorProto.Types.DataType;

namespace Flame.ModelGraphs.Builder;

/// <summary>Whether parameters become graph inputs (training binds them by name; nothing is allocated) or initializers with seeded values.</summary>
public enum WeightsAs
{
    Inputs,
    Initializers,
}

/// <summary>
/// Builds an ONNX graph through typed op methods: every call checks and infers shapes at build
/// time and returns the resulting <see cref="Value"/>. Parameters are registered under the
/// current scope ("layers.3.moe" + "router.weight"), names that are also checkpoint keys.
/// </summary>
public sealed partial class GraphBuilder(string graphName, int opset = GraphBuilder.DefaultOpset)
{
    /// <summary>Opset 17 with IR 8: loadable by tools from 2022 on.</summary>
    public const int DefaultOpset = 17;

    public const string FlameDomain = "ai.flame";

    private readonly GraphProto _graph = new() { Name = graphName };
    private readonly List<ParameterSpec> _parameters = [];
    private readonly Dictionary<string, FunctionProto> _functions = [];
    private readonly Stack<string> _scopes = new();
    private readonly Dictionary<string, int> _counters = [];
    private readonly Dictionary<string, Value> _constants = [];

    public int Opset { get; } = opset;

    public IReadOnlyList<ParameterSpec> Parameters => _parameters;

    /// <summary>Names created inside <paramref name="scope"/> get it as a dotted prefix until the returned handle is disposed.</summary>
    public IDisposable Scope(string scope)
    {
        _scopes.Push(_scopes.Count == 0 ? scope : $"{_scopes.Peek()}.{scope}");
        return new PopScope(_scopes);
    }

    public Value Input(string name, DataType type, params Dim[] shape)
    {
        _graph.Input.Add(ValueInfo(name, type, shape));
        return new Value(name, type, shape);
    }

    /// <summary>Makes <paramref name="value"/> a graph output named <paramref name="name"/>.</summary>
    public Value Output(Value value, string name)
    {
        var output = Emit("Identity", [value], name, value.Type, value.Shape);
        _graph.Output.Add(ValueInfo(name, value.Type, value.Shape));
        return output;
    }

    /// <summary>A trainable parameter named scope + "." + <paramref name="name"/> (float32).</summary>
    public Value Parameter(string name, long[] shape, Initialization init, double std = 0)
    {
        var fullName = Qualified(name);
        _parameters.Add(new ParameterSpec(fullName, shape, init, std));
        return new Value(fullName, DataType.Float, shape.Select(d => (Dim)d).ToArray());
    }

    public Value Constant(float value) => Constant([value], []);

    public Value Constant(long value) => Constant([value], []);

    public Value Constant(float[] values, long[] shape) => Cached($"f[{string.Join(",", shape)}]{string.Join(",", values.Select(v => BitConverter.SingleToInt32Bits(v)))}",
        () => AddConstant(OnnxTensors.Create(Fresh("const"), values, shape), DataType.Float, shape), values.Length);

    public Value Constant(long[] values, long[] shape) => Cached($"i[{string.Join(",", shape)}]{string.Join(",", values)}",
        () => AddConstant(OnnxTensors.Create(Fresh("const"), values, shape), DataType.Int64, shape), values.Length);

    // Small constants are shared: one initializer per distinct value, however often it is used.
    private Value Cached(string key, Func<Value> create, int length)
    {
        if (length > 16)
        {
            return create();
        }

        if (!_constants.TryGetValue(key, out var value))
        {
            _constants[key] = value = create();
        }

        return value;
    }

    /// <summary>The model: graph, functions used, opset imports; parameters as inputs or as seeded initializers.</summary>
    public ModelProto ToModel(WeightsAs weights, ulong seed = 1234, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var graph = _graph.Clone();
        foreach (var p in _parameters)
        {
            if (weights == WeightsAs.Inputs)
            {
                graph.Input.Add(ValueInfo(p.Name, DataType.Float, p.Shape.Select(d => (Dim)d).ToArray()));
            }
            else
            {
                graph.Initializer.Add(OnnxTensors.Create(p.Name, WeightInitializer.Create(p, seed), p.Shape));
            }
        }

        var model = new ModelProto { IrVersion = Opset <= 17 ? 8 : 10, ProducerName = "flame-onnx", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        if (_functions.Count > 0)
        {
            model.OpsetImport.Add(new OperatorSetIdProto { Domain = FlameDomain, Version = 1 });
            model.Functions.AddRange(_functions.Values);
        }

        foreach (var (key, value) in metadata ?? new Dictionary<string, string>())
        {
            model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        }

        return model;
    }

    /// <summary>Calls a model-local function (registered once), returning its outputs with the given types and shapes.</summary>
    public Value[] Call(FunctionProto function, IReadOnlyList<Value> inputs, (DataType Type, Dim[] Shape)[] outputs, params AttributeProto[] attributes)
    {
        _functions.TryAdd(function.Name, function);
        var node = new NodeProto { OpType = function.Name, Domain = function.Domain, Name = Fresh(function.Name) };
        node.Input.AddRange(inputs.Select(i => i.Name));
        node.Attribute.AddRange(attributes);
        var results = outputs.Select(o => new Value(Fresh(function.Name.ToLowerInvariant()), o.Type, o.Shape)).ToArray();
        node.Output.AddRange(results.Select(r => r.Name));
        _graph.Node.Add(node);
        return results;
    }

    /// <summary>Emits one standard-domain node with one output.</summary>
    private Value Emit(string op, IReadOnlyList<Value> inputs, string? outputName, DataType type, Dim[] shape, params AttributeProto[] attributes)
    {
        var output = new Value(outputName ?? Fresh(op.ToLowerInvariant()), type, shape);
        var node = new NodeProto { OpType = op, Name = Fresh(op) };
        node.Input.AddRange(inputs.Select(i => i.Name));
        node.Output.Add(output.Name);
        node.Attribute.AddRange(attributes);
        _graph.Node.Add(node);
        return output;
    }

    private Value AddConstant(TensorProto tensor, DataType type, long[] shape)
    {
        _graph.Initializer.Add(tensor);
        return new Value(tensor.Name, type, shape.Select(d => (Dim)d).ToArray());
    }

    private string Qualified(string name) => _scopes.Count == 0 ? name : $"{_scopes.Peek()}.{name}";

    private string Fresh(string stem)
    {
        var key = Qualified(stem);
        _counters[key] = _counters.GetValueOrDefault(key) + 1;
        return $"{key}_{_counters[key]}";
    }

    internal static ValueInfoProto ValueInfo(string name, DataType type, Dim[] shape)
    {
        var tensorShape = new TensorShapeProto();
        tensorShape.Dim.AddRange(shape.Select(d => d.IsKnown
            ? new TensorShapeProto.Types.Dimension { DimValue = d.Size }
            : new TensorShapeProto.Types.Dimension { DimParam = d.Symbol ?? "" }));
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = tensorShape } } };
    }

    internal static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    internal static AttributeProto Ints(string name, IEnumerable<long> values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values);
        return attribute;
    }

    internal static AttributeProto String(string name, string value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };

    private sealed class PopScope(Stack<string> scopes) : IDisposable
    {
        public void Dispose() => scopes.Pop();
    }
}
