using Flame.Onnx.Proto;
using Flame.Onnx.Transforms;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;

namespace Flame.Runtime;

/// <summary>
/// An ONNX model loaded into ONNX Runtime (an <see cref="InferenceSession"/>) with our
/// <see cref="SessionSettings"/> (device, threads, profiling), run by input name:
/// <code>
/// using var session = new ModelSession(modelBytes);
/// using var ids = OrtValue.FromArray(new long[] { 1, 2, 3 }, 1, 3);
/// using var results = session.Run(new Dictionary&lt;string, OrtValue&gt; { ["input_ids"] = ids });
/// float[] logits = results["logits"].ToArray&lt;float&gt;();
/// </code>
/// A session may be run from several threads at once; dispose it when done.
/// </summary>
public sealed class ModelSession : IModelRunner
{
    // Read-only while runs use it, so one instance serves every run without options of its own.
    private readonly RunOptions _defaults = new();

    // Weights ORT reads in place (AddInitializer): they live as long as the session.
    private readonly IReadOnlyList<OrtValue> _weights = [];

    /// <summary>Loads a model from its serialized bytes.</summary>
    /// <exception cref="OnnxRuntimeException">the bytes are not a valid model, or ORT cannot run it; ORT's message says why.</exception>
    /// <exception cref="DeviceUnavailableException">the settings ask for CUDA and this machine or build cannot run it.</exception>
    public ModelSession(byte[] model, SessionSettings? settings = null)
        : this(settings, options => new InferenceSession(model, options))
    {
    }

    /// <summary>
    /// A session on <paramref name="model"/> whose weights (graph inputs of the model) are given by
    /// the session from <paramref name="weights"/> rather than embedded in the graph
    /// (Flame.Onnx's SessionWeights, ORT's AddInitializer): no proto and serialized copies of them,
    /// and no 2 GB protobuf limit. The model's functions are inlined first, as for every session of
    /// ours. The weights must be buffers the caller owns (OrtValue.FromArray over arrays; ORT
    /// refuses values it allocated) and, as ORT's API requires, outlive the session, although ORT
    /// 1.31 copies them when the session is created. The session owns them from this call on: it
    /// disposes them with itself, or at once when it cannot be created.
    /// </summary>
    public static ModelSession WithWeights(ModelProto model, IReadOnlyDictionary<string, OrtValue> weights, SessionSettings? settings = null)
    {
        byte[] declared;
        try
        {
            declared = FunctionInliner.Inline(SessionWeights.Declare(model, weights.Select(w => new SessionWeight(
                w.Key, (TensorProto.Types.DataType)w.Value.ElementType, w.Value.Shape, w.Value.Shape.Aggregate(1L, (n, d) => n * d) * TensorElementTypes.SizeOf(w.Value.ElementType))))).ToByteArray();
        }
        catch
        {
            foreach (var value in weights.Values)
            {
                value.Dispose();
            }

            throw;
        }

        return new ModelSession(declared, weights, settings);
    }

    private ModelSession(byte[] model, IReadOnlyDictionary<string, OrtValue> weights, SessionSettings? settings)
        : this(settings, options =>
        {
            try
            {
                foreach (var (name, value) in weights)
                {
                    options.AddInitializer(name, value);
                }

                return new InferenceSession(model, options);
            }
            catch
            {
                foreach (var value in weights.Values)
                {
                    value.Dispose();
                }

                throw;
            }
        })
    {
        _weights = [.. weights.Values];
    }

    /// <summary>Loads a model file (external data is resolved relative to its folder).</summary>
    /// <exception cref="FileNotFoundException">no such file.</exception>
    public ModelSession(string path, SessionSettings? settings = null)
        : this(settings, options => File.Exists(path)
            ? new InferenceSession(Path.GetFullPath(path), options)
            : throw new FileNotFoundException($"model file not found: {path}", path))
    {
    }

    private ModelSession(SessionSettings? settings, Func<SessionOptions, InferenceSession> create)
    {
        Settings = settings ?? SessionSettings.Default;
        _ = OrtRuntime.Environment;
        using var options = Settings.CreateOptions();
        Native = create(options);
        Inputs = SessionTensorInfo.Of(Native.InputNames, Native.InputMetadata);
        Outputs = SessionTensorInfo.Of(Native.OutputNames, Native.OutputMetadata);
    }

    public SessionSettings Settings { get; }

    /// <summary>ORT's session, for what this class does not wrap (IOBinding, allocators, profiling).</summary>
    public InferenceSession Native { get; }

    public IReadOnlyList<SessionTensorInfo> Inputs { get; }

    public IReadOnlyList<SessionTensorInfo> Outputs { get; }

    /// <summary>
    /// Runs the model. Every graph input must be given (by name); the outputs are those named
    /// in <paramref name="outputNames"/>, or all of them, in tensors ORT allocates.
    /// </summary>
    /// <exception cref="ArgumentException">an input name the model does not have, or a missing input.</exception>
    /// <exception cref="OnnxRuntimeException">a wrong shape or type, or a failure inside a kernel; ORT's message says which.</exception>
    public RunResults Run(IReadOnlyDictionary<string, OrtValue> inputs, IReadOnlyList<string>? outputNames = null, RunOptions? options = null)
    {
        var unknown = inputs.Keys.Where(k => Inputs.All(i => i.Name != k)).ToList();
        if (unknown.Count > 0)
        {
            throw new ArgumentException($"the model has no input named {string.Join(", ", unknown.Select(u => $"'{u}'"))}; its inputs are {string.Join(", ", Inputs.Select(i => i.ToString()))}");
        }

        var missing = Inputs.Where(i => !inputs.ContainsKey(i.Name)).Select(i => i.Name).ToList();
        if (missing.Count > 0)
        {
            throw new ArgumentException($"missing input(s) {string.Join(", ", missing)}");
        }

        var names = outputNames ?? Native.OutputNames;
        return new RunResults(names, Native.Run(options ?? _defaults, inputs, names as IReadOnlyCollection<string> ?? [.. names]));
    }

    /// <summary>Binds inputs and outputs once, to run repeatedly without copies (e.g. weights resident on the device); run it with <see cref="Run(OrtIoBinding, RunOptions?)"/>.</summary>
    public OrtIoBinding CreateIoBinding() => Native.CreateIoBinding();

    /// <summary>Runs the bound inputs into the bound outputs.</summary>
    public void Run(OrtIoBinding binding, RunOptions? options = null) => Native.RunWithBinding(options ?? _defaults, binding);

    /// <summary>An allocator of this session for <paramref name="memory"/> (e.g. CUDA memory on a CUDA session).</summary>
    /// <exception cref="OnnxRuntimeException">the session has no allocator for that memory (e.g. CUDA memory on a CPU session).</exception>
    public OrtAllocator CreateAllocator(OrtMemoryInfo memory) => new(Native, memory);

    /// <summary>Stops profiling and returns the path of the Chrome-trace JSON ORT wrote (see <see cref="SessionSettings.ProfilingPrefix"/>).</summary>
    public string EndProfiling() => Native.EndProfiling();

    public void Dispose()
    {
        Native.Dispose();
        _defaults.Dispose();
        foreach (var weight in _weights)
        {
            weight.Dispose();
        }
    }
}
