using Microsoft.ML.OnnxRuntime;

namespace Flame.Runtime;

/// <summary>How much ORT rewrites the graph before running it (GraphOptimizationLevel).</summary>
public enum GraphOptimization
{
    Disabled = 0,
    Basic = 1,
    Extended = 2,
    All = 99,
}

/// <summary>Where a session runs: ORT's CPU provider, or CUDA on device <paramref name="DeviceId"/> with CPU fallback.</summary>
public sealed record ExecutionDevice(bool IsCuda, int DeviceId = 0)
{
    public static ExecutionDevice Cpu { get; } = new(false);

    public static ExecutionDevice Cuda(int deviceId = 0) => new(true, deviceId);

    /// <summary>Parses "cpu", "cuda" or "cuda:N" (the --device option of every command).</summary>
    public static ExecutionDevice Parse(string text) => text.Trim().ToLowerInvariant() switch
    {
        "cpu" => Cpu,
        "cuda" => Cuda(),
        var s when s.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(s[5..], out var id) && id >= 0 => Cuda(id),
        _ => throw new FormatException($"unknown device '{text}': use cpu, cuda or cuda:N"),
    };

    public override string ToString() => IsCuda ? $"cuda:{DeviceId}" : "cpu";
}

/// <summary>Settings of an <see cref="InferenceSession"/>; the defaults suit CPU inference on this machine.</summary>
public sealed record SessionSettings
{
    public static SessionSettings Default { get; } = new();

    /// <summary>Threads inside one operator; 0 lets ORT choose (one per core).</summary>
    public int IntraOpThreads { get; init; }

    /// <summary>Threads across independent operators (used by parallel execution mode); 0 lets ORT choose.</summary>
    public int InterOpThreads { get; init; }

    public bool ParallelExecution { get; init; }

    public GraphOptimization Optimization { get; init; } = GraphOptimization.All;

    /// <summary>ORT's own log output; errors reach the caller as exceptions anyway, so by default only fatal ones are logged.</summary>
    public OrtLoggingLevel LogLevel { get; init; } = OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL;

    public ExecutionDevice Device { get; init; } = ExecutionDevice.Cpu;

    /// <summary>Memory-pattern planning; off for graphs whose shapes change between runs.</summary>
    public bool MemoryPattern { get; init; } = true;

    public bool CpuMemoryArena { get; init; } = true;

    /// <summary>
    /// The CPU arena is the process's one shared arena (<see cref="OrtRuntime.RegisterSharedCpuArena"/>),
    /// grown by exactly what is asked, instead of one per session grown by doubling: the sessions of
    /// a training step (training graph, optimizer, evaluation) then reuse one pool rather than each
    /// keeping its own peak.
    /// </summary>
    public bool SharedCpuArena { get; init; }

    /// <summary>
    /// CUDA only: the device arena grows by exactly what is asked (ORT's kSameAsRequested) instead
    /// of doubling; for allocators of long-lived tensors (a run's weights and optimizer state),
    /// where doubling would reserve up to twice their size.
    /// </summary>
    public bool CudaArenaExactSizes { get; init; }

    /// <summary>When set, ORT writes a Chrome-trace JSON profile starting with this prefix (see <see cref="InferenceSession.EndProfiling"/>).</summary>
    public string? ProfilingPrefix { get; init; }

    /// <summary>Session configuration entries (e.g. "session.use_deterministic_compute").</summary>
    public IReadOnlyDictionary<string, string> ConfigEntries { get; init; } = new Dictionary<string, string>();

    /// <summary>ORT's session options for these settings; the caller disposes them once the session exists.</summary>
    /// <exception cref="DeviceUnavailableException">CUDA was asked for and cannot be used here.</exception>
    public SessionOptions CreateOptions()
    {
        var options = new SessionOptions
        {
            IntraOpNumThreads = IntraOpThreads,
            InterOpNumThreads = InterOpThreads,
            ExecutionMode = ParallelExecution ? ExecutionMode.ORT_PARALLEL : ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = (GraphOptimizationLevel)Optimization,
            LogSeverityLevel = LogLevel,
            EnableMemoryPattern = MemoryPattern,
            EnableCpuMemArena = CpuMemoryArena,
        };
        try
        {
            if (SharedCpuArena && CpuMemoryArena)
            {
                OrtRuntime.RegisterSharedCpuArena();
                options.AddSessionConfigEntry("session.use_env_allocators", "1");
            }

            foreach (var (key, value) in ConfigEntries)
            {
                options.AddSessionConfigEntry(key, value);
            }

            if (ProfilingPrefix is { } prefix)
            {
                // The prefix first: enabling profiling hands ORT the prefix set at that moment.
                options.ProfileOutputPathPrefix = prefix;
                options.EnableProfiling = true;
            }

            if (Device.IsCuda)
            {
                CudaProvider.Append(options, Device.DeviceId, CudaArenaExactSizes);
            }

            return options;
        }
        catch
        {
            options.Dispose();
            throw;
        }
    }
}
