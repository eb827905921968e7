using Microsoft.ML.OnnxRuntime;

namespace Flame.Runtime;

/// <summary>
/// The process-wide ORT environment (one OrtEnv, as ORT recommends), created on first use with
/// ORT's own logging at Fatal (errors reach callers as exceptions) and telemetry events off:
/// a research tool reports nothing about its users (see <see cref="TelemetryOff"/> for the
/// variable that stops ORT's telemetry files). Every session is made after it.
/// </summary>
public static class OrtRuntime
{
    private static readonly Lazy<OrtEnv> Shared = new(() =>
    {
        // TelemetryOff's module initializer has run: this type is in its assembly.
        var options = new EnvironmentCreationOptions { logId = "flame", logLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL };
        var environment = OrtEnv.CreateInstanceWithOptions(ref options);
        environment.DisableTelemetryEvents();
        return environment;
    });

    // ORT's BFCArena grows by kNextPowerOfTwo unless told otherwise; 1 = kSameAsRequested.
    private const int ArenaGrowsByRequest = 1;

    private static readonly Lazy<bool> CpuArena = new(() =>
    {
        using var memory = new OrtMemoryInfo("Cpu", OrtAllocatorType.ArenaAllocator, 0, OrtMemType.Default);
        using var arena = new OrtArenaCfg(0, ArenaGrowsByRequest, -1, -1);
        Environment.CreateAndRegisterAllocator(memory, arena);
        return true;
    });

    public static OrtEnv Environment => Shared.Value;

    /// <summary>
    /// Registers, once, the CPU arena that sessions with <see cref="SessionSettings.SharedCpuArena"/>
    /// share: one pool for all of them, grown by exactly what is asked.
    /// </summary>
    public static void RegisterSharedCpuArena() => _ = CpuArena.Value;
}
