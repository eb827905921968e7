using Flame.Runtime.Interop;

namespace Flame.Runtime;

/// <summary>ORT's log levels (OrtLoggingLevel).</summary>
public enum OrtLogLevel
{
    Verbose = 0,
    Info = 1,
    Warning = 2,
    Error = 3,
    Fatal = 4,
}

/// <summary>
/// The process-wide ORT environment (one OrtEnv, as ORT recommends), created on first use.
/// It lives until the process ends.
/// </summary>
public sealed unsafe class OrtEnvironment
{
    private static readonly Lazy<OrtEnvironment> Instance = new(() => new OrtEnvironment(OrtLogLevel.Fatal));

    private OrtEnvironment(OrtLogLevel level)
    {
        fixed (byte* id = OrtApi.Utf8("flame"))
        {
            Handle = new OrtHandle(OrtApi.CreateEnv((int)level, id), OrtApi.ReleaseSlot.Env);
        }
    }

    /// <summary>The shared environment; loading it loads the native library (see <see cref="RuntimeInfo"/>).</summary>
    public static OrtEnvironment Shared => Instance.Value;

    internal OrtHandle Handle { get; }
}
