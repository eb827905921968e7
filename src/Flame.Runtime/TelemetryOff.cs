using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Flame.Runtime;

/// <summary>
/// ONNX Runtime's NuGet build for Linux carries Microsoft's 1DS telemetry: without being told
/// otherwise, the first session writes a device id and an event database under
/// ~/.cache/Microsoft/DeveloperTools/.onnxruntime/ and a session file in TMPDIR (measured with
/// 1.31.0). Its native code reads ORT_DISABLE_TELEMETRY from the process environment, which
/// .NET's Environment.SetEnvironmentVariable does not change on Linux, so it is set with libc's
/// setenv as soon as this assembly is touched, before ORT is loaded; OrtRuntime also turns
/// telemetry events off on the environment. A value the user set is left alone.
/// </summary>
public static partial class TelemetryOff
{
    public const string Variable = "ORT_DISABLE_TELEMETRY";

#pragma warning disable CA2255 // a module initializer is the one place that runs before any use of ORT through this library
    [ModuleInitializer]
#pragma warning restore CA2255
    public static void Apply()
    {
        if (Environment.GetEnvironmentVariable(Variable) is null)
        {
            _ = setenv(Variable, "1", 0);
            Environment.SetEnvironmentVariable(Variable, "1");   // and for processes we start
        }
    }

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int setenv(string name, string value, int overwrite);
}
