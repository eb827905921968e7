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

    public static OrtEnv Environment => Shared.Value;
}
