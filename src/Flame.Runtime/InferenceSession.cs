using System.Runtime.InteropServices;
using Flame.Runtime.Interop;

namespace Flame.Runtime;

/// <summary>
/// An ONNX model loaded into ONNX Runtime, ready to run.
/// <code>
/// using var session = new InferenceSession(modelBytes);
/// using var ids = OrtValue.FromArray(new long[] { 1, 2, 3 }, 1, 3);
/// using var results = session.Run(new Dictionary&lt;string, OrtValue&gt; { ["input_ids"] = ids });
/// float[] logits = results["logits"].ToArray&lt;float&gt;();
/// </code>
/// A session may be run from several threads at once; dispose it when done.
/// </summary>
public sealed unsafe class InferenceSession : IModelRunner
{
    /// <summary>Loads a model from its serialized bytes.</summary>
    /// <exception cref="OrtException">the bytes are not a valid model, or ORT cannot run it; ORT's message says why.</exception>
    public InferenceSession(byte[] model, SessionSettings? settings = null)
        : this(settings, (env, options) =>
        {
            fixed (byte* data = model)
            {
                return OrtApi.CreateSessionFromArray(env, data, (nuint)model.Length, options);
            }
        })
    {
    }

    /// <summary>Loads a model file (external data is resolved relative to its folder).</summary>
    /// <exception cref="FileNotFoundException">no such file.</exception>
    public InferenceSession(string path, SessionSettings? settings = null)
        : this(settings, (env, options) =>
        {
            if (!File.Exists(path))
            {
                throw new FileNotFoundException($"model file not found: {path}", path);
            }

            fixed (byte* p = OrtApi.Utf8(Path.GetFullPath(path)))
            {
                return OrtApi.CreateSession(env, p, options);
            }
        })
    {
    }

    private InferenceSession(SessionSettings? settings, Func<nint, nint, nint> create)
    {
        Settings = settings ?? SessionSettings.Default;
        using var options = SessionOptionsFactory.Create(Settings);
        Handle = new OrtHandle(create(OrtEnvironment.Shared.Handle.Pointer, options.Pointer), OrtApi.ReleaseSlot.Session);
        var session = Handle.Pointer;
        Inputs = Enumerable.Range(0, (int)OrtApi.InputCount(session))
            .Select(i => NodeMetadata.Read(OrtApi.InputName(session, (nuint)i), OrtApi.InputTypeInfo(session, (nuint)i))).ToList();
        Outputs = Enumerable.Range(0, (int)OrtApi.OutputCount(session))
            .Select(i => NodeMetadata.Read(OrtApi.OutputName(session, (nuint)i), OrtApi.OutputTypeInfo(session, (nuint)i))).ToList();
    }

    public SessionSettings Settings { get; }

    public IReadOnlyList<NodeMetadata> Inputs { get; }

    public IReadOnlyList<NodeMetadata> Outputs { get; }

    internal OrtHandle Handle { get; }

    /// <summary>
    /// Runs the model. Every graph input must be given (by name); the outputs are those named
    /// in <paramref name="outputNames"/>, or all of them.
    /// </summary>
    /// <exception cref="ArgumentException">an input name the model does not have, or a missing input.</exception>
    /// <exception cref="OrtException">a wrong shape or type, or a failure inside a kernel; ORT's message says which.</exception>
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

        var names = outputNames ?? Outputs.Select(o => o.Name).ToList();
        var inputNames = new NativeStrings(inputs.Keys);
        var outputNameStrings = new NativeStrings(names);
        try
        {
            var inputValues = inputs.Values.Select(v => v.Handle.Pointer).ToArray();
            var outputValues = new nint[names.Count];
            fixed (nint* inValues = inputValues)
            fixed (nint* outValues = outputValues)
            {
                OrtApi.Run(Handle.Pointer, options?.Handle.Pointer ?? 0, inputNames.Pointers, inValues, (nuint)inputValues.Length,
                    outputNameStrings.Pointers, (nuint)names.Count, outValues);
            }

            GC.KeepAlive(inputs);
            return new RunResults(names, outputValues.Select(v => new OrtValue(v)).ToList());
        }
        finally
        {
            inputNames.Dispose();
            outputNameStrings.Dispose();
        }
    }

    /// <summary>Binds inputs and outputs once, to run repeatedly without copies (e.g. weights resident on the device).</summary>
    public IoBinding CreateIoBinding() => new(this);

    /// <summary>An allocator of this session for <paramref name="memory"/> (e.g. <see cref="OrtMemoryInfo.Cuda"/> on a CUDA session).</summary>
    /// <exception cref="OrtException">the session has no allocator for that memory (e.g. CUDA memory on a CPU session).</exception>
    public OrtAllocator CreateAllocator(OrtMemoryInfo memory) =>
        new(OrtApi.CreateAllocator(Handle.Pointer, memory.Handle.Pointer), memory.Name);

    /// <summary>Stops profiling and returns the path of the Chrome-trace JSON ORT wrote (see <see cref="SessionSettings.ProfilingPrefix"/>).</summary>
    public string EndProfiling() => OrtApi.EndProfiling(Handle.Pointer);

    public void Dispose() => Handle.Dispose();

    /// <summary>An array of NUL-terminated UTF-8 strings in native memory, for const char* const* parameters.</summary>
    private sealed class NativeStrings : IDisposable
    {
        private readonly nint[] _strings;

        public NativeStrings(IEnumerable<string> strings)
        {
            _strings = strings.Select(s => Marshal.StringToCoTaskMemUTF8(s)).ToArray();
            Pointers = (nint*)NativeMemory.Alloc((nuint)Math.Max(1, _strings.Length), (nuint)sizeof(nint));
            for (var i = 0; i < _strings.Length; i++)
            {
                Pointers[i] = _strings[i];
            }
        }

        public nint* Pointers { get; }

        public void Dispose()
        {
            foreach (var s in _strings)
            {
                Marshal.FreeCoTaskMem(s);
            }

            NativeMemory.Free(Pointers);
        }
    }
}
