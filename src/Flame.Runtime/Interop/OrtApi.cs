using System.Runtime.InteropServices;
using System.Text;

namespace Flame.Runtime.Interop;

/// <summary>
/// The OrtApi functions we call, each read from its slot of the function table
/// (reference/ort-c-api-slots.md; signatures from onnxruntime_c_api.h). This is the only
/// place that knows slot numbers. Every OrtStatus* goes through <see cref="Check"/>.
/// </summary>
internal static unsafe class OrtApi
{
    private static nint* T => OrtLibrary.Table;

    /// <summary>Turns a non-null OrtStatus* into an <see cref="OrtException"/>, releasing the status in every case.</summary>
    public static void Check(nint status)
    {
        if (status == 0)
        {
            return;
        }

        try
        {
            var code = ((delegate* unmanaged<nint, int>)T[1])(status);
            var message = Marshal.PtrToStringUTF8(((delegate* unmanaged<nint, nint>)T[2])(status)) ?? "(no message)";
            throw new OrtException((OrtErrorCode)code, message);
        }
        finally
        {
            ((delegate* unmanaged<nint, void>)T[93])(status); // ReleaseStatus
        }
    }

    /// <summary>A NUL-terminated UTF-8 copy of a string, for const char* parameters.</summary>
    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text + "\0");

    // Environment and session options.
    public static nint CreateEnv(int logLevel, byte* logId) { nint env; Check(((delegate* unmanaged<int, byte*, nint*, nint>)T[3])(logLevel, logId, &env)); return env; }
    public static nint CreateSessionOptions() { nint options; Check(((delegate* unmanaged<nint*, nint>)T[10])(&options)); return options; }
    public static void SetExecutionMode(nint options, int mode) => Check(((delegate* unmanaged<nint, int, nint>)T[13])(options, mode));
    public static void EnableProfiling(nint options, byte* prefix) => Check(((delegate* unmanaged<nint, byte*, nint>)T[14])(options, prefix));
    public static void EnableMemPattern(nint options, bool enable) => Check(((delegate* unmanaged<nint, nint>)T[enable ? 16 : 17])(options));
    public static void EnableCpuMemArena(nint options, bool enable) => Check(((delegate* unmanaged<nint, nint>)T[enable ? 18 : 19])(options));
    public static void SetLogSeverity(nint options, int level) => Check(((delegate* unmanaged<nint, int, nint>)T[22])(options, level));
    public static void SetOptimizationLevel(nint options, int level) => Check(((delegate* unmanaged<nint, int, nint>)T[23])(options, level));
    public static void SetIntraOpThreads(nint options, int threads) => Check(((delegate* unmanaged<nint, int, nint>)T[24])(options, threads));
    public static void SetInterOpThreads(nint options, int threads) => Check(((delegate* unmanaged<nint, int, nint>)T[25])(options, threads));
    public static void AddSessionConfigEntry(nint options, byte* key, byte* value) => Check(((delegate* unmanaged<nint, byte*, byte*, nint>)T[130])(options, key, value));

    // Sessions.
    public static nint CreateSession(nint env, byte* path, nint options) { nint session; Check(((delegate* unmanaged<nint, byte*, nint, nint*, nint>)T[7])(env, path, options, &session)); return session; }
    public static nint CreateSessionFromArray(nint env, byte* data, nuint length, nint options) { nint session; Check(((delegate* unmanaged<nint, byte*, nuint, nint, nint*, nint>)T[8])(env, data, length, options, &session)); return session; }
    public static void Run(nint session, nint runOptions, nint* inputNames, nint* inputs, nuint inputCount, nint* outputNames, nuint outputCount, nint* outputs) =>
        Check(((delegate* unmanaged<nint, nint, nint*, nint*, nuint, nint*, nuint, nint*, nint>)T[9])(session, runOptions, inputNames, inputs, inputCount, outputNames, outputCount, outputs));
    public static nuint InputCount(nint session) { nuint n; Check(((delegate* unmanaged<nint, nuint*, nint>)T[30])(session, &n)); return n; }
    public static nuint OutputCount(nint session) { nuint n; Check(((delegate* unmanaged<nint, nuint*, nint>)T[31])(session, &n)); return n; }
    public static nint InputTypeInfo(nint session, nuint i) { nint info; Check(((delegate* unmanaged<nint, nuint, nint*, nint>)T[33])(session, i, &info)); return info; }
    public static nint OutputTypeInfo(nint session, nuint i) { nint info; Check(((delegate* unmanaged<nint, nuint, nint*, nint>)T[34])(session, i, &info)); return info; }
    public static string InputName(nint session, nuint i) => TakeString(a => { nint s; Check(((delegate* unmanaged<nint, nuint, nint, nint*, nint>)T[36])(session, i, a, &s)); return s; });
    public static string OutputName(nint session, nuint i) => TakeString(a => { nint s; Check(((delegate* unmanaged<nint, nuint, nint, nint*, nint>)T[37])(session, i, a, &s)); return s; });
    public static string EndProfiling(nint session) => TakeString(a => { nint s; Check(((delegate* unmanaged<nint, nint, nint*, nint>)T[110])(session, a, &s)); return s; });

    // Run options.
    public static nint CreateRunOptions() { nint options; Check(((delegate* unmanaged<nint*, nint>)T[39])(&options)); return options; }
    public static void SetRunTag(nint options, byte* tag) => Check(((delegate* unmanaged<nint, byte*, nint>)T[42])(options, tag));
    public static void SetTerminate(nint options, bool terminate) => Check(((delegate* unmanaged<nint, nint>)T[terminate ? 46 : 47])(options));

    // Values and type information.
    public static nint CreateTensor(nint allocator, long* shape, nuint rank, int type) { nint value; Check(((delegate* unmanaged<nint, long*, nuint, int, nint*, nint>)T[48])(allocator, shape, rank, type, &value)); return value; }
    public static nint CreateTensorWithData(nint memoryInfo, void* data, nuint bytes, long* shape, nuint rank, int type) { nint value; Check(((delegate* unmanaged<nint, void*, nuint, long*, nuint, int, nint*, nint>)T[49])(memoryInfo, data, bytes, shape, rank, type, &value)); return value; }
    public static bool IsTensor(nint value) { int result; Check(((delegate* unmanaged<nint, int*, nint>)T[50])(value, &result)); return result != 0; }
    public static void* TensorData(nint value) { void* data; Check(((delegate* unmanaged<nint, void**, nint>)T[51])(value, &data)); return data; }
    public static nint CastToTensorInfo(nint typeInfo) { nint info; Check(((delegate* unmanaged<nint, nint*, nint>)T[55])(typeInfo, &info)); return info; }
    public static int OnnxType(nint typeInfo) { int type; Check(((delegate* unmanaged<nint, int*, nint>)T[56])(typeInfo, &type)); return type; }
    public static int ElementType(nint tensorInfo) { int type; Check(((delegate* unmanaged<nint, int*, nint>)T[60])(tensorInfo, &type)); return type; }
    public static nuint DimensionsCount(nint tensorInfo) { nuint n; Check(((delegate* unmanaged<nint, nuint*, nint>)T[61])(tensorInfo, &n)); return n; }
    public static void Dimensions(nint tensorInfo, long* dims, nuint n) => Check(((delegate* unmanaged<nint, long*, nuint, nint>)T[62])(tensorInfo, dims, n));
    public static void SymbolicDimensions(nint tensorInfo, nint* names, nuint n) => Check(((delegate* unmanaged<nint, nint*, nuint, nint>)T[63])(tensorInfo, names, n));
    public static nint TensorTypeAndShape(nint value) { nint info; Check(((delegate* unmanaged<nint, nint*, nint>)T[65])(value, &info)); return info; }
    public static nint TensorMemoryInfo(nint value) { nint info; Check(((delegate* unmanaged<nint, nint*, nint>)T[194])(value, &info)); return info; }

    // Memory and allocators.
    public static nint CreateMemoryInfo(byte* name, int allocatorType, int deviceId, int memType) { nint info; Check(((delegate* unmanaged<byte*, int, int, int, nint*, nint>)T[68])(name, allocatorType, deviceId, memType, &info)); return info; }
    public static nint CreateCpuMemoryInfo(int allocatorType, int memType) { nint info; Check(((delegate* unmanaged<int, int, nint*, nint>)T[69])(allocatorType, memType, &info)); return info; }
    public static string MemoryInfoName(nint info) { nint name; Check(((delegate* unmanaged<nint, nint*, nint>)T[71])(info, &name)); return Marshal.PtrToStringUTF8(name) ?? ""; }
    public static int MemoryInfoDeviceId(nint info) { int id; Check(((delegate* unmanaged<nint, int*, nint>)T[72])(info, &id)); return id; }
    public static void AllocatorFree(nint allocator, nint pointer) => Check(((delegate* unmanaged<nint, nint, nint>)T[76])(allocator, pointer));
    public static nint DefaultAllocator() { nint allocator; Check(((delegate* unmanaged<nint*, nint>)T[78])(&allocator)); return allocator; }
    public static nint CreateAllocator(nint session, nint memoryInfo) { nint allocator; Check(((delegate* unmanaged<nint, nint, nint*, nint>)T[131])(session, memoryInfo, &allocator)); return allocator; }

    // Providers and build information.
    public static string[] AvailableProviders()
    {
        nint* names;
        int count;
        Check(((delegate* unmanaged<nint**, int*, nint>)T[125])(&names, &count));
        try
        {
            var result = new string[count];
            for (var i = 0; i < count; i++)
            {
                result[i] = Marshal.PtrToStringUTF8(names[i]) ?? "";
            }

            return result;
        }
        finally
        {
            Check(((delegate* unmanaged<nint*, int, nint>)T[126])(names, count));
        }
    }

    // GetBuildInfoString returns the string itself, not a status.
    public static string BuildInfo() => Marshal.PtrToStringUTF8(((delegate* unmanaged<nint>)T[254])()) ?? "";

    // IO binding.
    public static void RunWithBinding(nint session, nint runOptions, nint binding) => Check(((delegate* unmanaged<nint, nint, nint, nint>)T[133])(session, runOptions, binding));
    public static nint CreateIoBinding(nint session) { nint binding; Check(((delegate* unmanaged<nint, nint*, nint>)T[134])(session, &binding)); return binding; }
    public static void BindInput(nint binding, byte* name, nint value) => Check(((delegate* unmanaged<nint, byte*, nint, nint>)T[136])(binding, name, value));
    public static void BindOutput(nint binding, byte* name, nint value) => Check(((delegate* unmanaged<nint, byte*, nint, nint>)T[137])(binding, name, value));
    public static void BindOutputToDevice(nint binding, byte* name, nint memoryInfo) => Check(((delegate* unmanaged<nint, byte*, nint, nint>)T[138])(binding, name, memoryInfo));
    public static void BoundOutputNames(nint binding, nint allocator, byte** buffer, nuint** lengths, nuint* count) => Check(((delegate* unmanaged<nint, nint, byte**, nuint**, nuint*, nint>)T[139])(binding, allocator, buffer, lengths, count));
    public static void BoundOutputValues(nint binding, nint allocator, nint** values, nuint* count) => Check(((delegate* unmanaged<nint, nint, nint**, nuint*, nint>)T[140])(binding, allocator, values, count));
    public static void ClearBoundInputs(nint binding) => ((delegate* unmanaged<nint, void>)T[141])(binding);
    public static void ClearBoundOutputs(nint binding) => ((delegate* unmanaged<nint, void>)T[142])(binding);
    public static void SynchronizeBoundInputs(nint binding) => Check(((delegate* unmanaged<nint, nint>)T[202])(binding));
    public static void SynchronizeBoundOutputs(nint binding) => Check(((delegate* unmanaged<nint, nint>)T[203])(binding));

    // CUDA execution provider (V2 options).
    public static void AppendCudaV2(nint options, nint cudaOptions) => Check(((delegate* unmanaged<nint, nint, nint>)T[204])(options, cudaOptions));
    public static nint CreateCudaOptions() { nint options; Check(((delegate* unmanaged<nint*, nint>)T[205])(&options)); return options; }
    public static void UpdateCudaOptions(nint options, nint* keys, nint* values, nuint count) => Check(((delegate* unmanaged<nint, nint*, nint*, nuint, nint>)T[206])(options, keys, values, count));

    /// <summary>Release functions by slot; they return void.</summary>
    public static void Release(int slot, nint handle) => ((delegate* unmanaged<nint, void>)T[slot])(handle);

    public static class ReleaseSlot
    {
        public const int Env = 92, MemoryInfo = 94, Session = 95, Value = 96, RunOptions = 97, TypeInfo = 98,
            TensorTypeAndShapeInfo = 99, SessionOptions = 100, Allocator = 132, IoBinding = 135, CudaProviderOptions = 208;
    }

    // Strings ORT allocates with an allocator are copied and freed at once.
    private static string TakeString(Func<nint, nint> call)
    {
        var allocator = DefaultAllocator();
        var pointer = call(allocator);
        try
        {
            return Marshal.PtrToStringUTF8(pointer) ?? "";
        }
        finally
        {
            AllocatorFree(allocator, pointer);
        }
    }
}
