namespace Flame.Cli;

/// <summary>
/// Turns an exception that escaped a command into the message a user reads. The messages of
/// our libraries already name the file, line or field; the chain of inner messages is kept
/// because each layer adds context. Set FLAME_DEBUG=1 to see the stack trace as well.
/// </summary>
public static class ErrorReport
{
    /// <summary>Exit code of a command that failed on bad input or a failed operation.</summary>
    public const int FailureExitCode = 1;

    public static int Write(Exception exception, TextWriter error)
    {
        if (exception is OperationCanceledException)
        {
            error.WriteLine("flame: cancelled.");
            return 130;
        }

        error.WriteLine($"flame: error: {exception.Message}");
        for (var inner = exception.InnerException; inner is not null; inner = inner.InnerException)
        {
            error.WriteLine($"  caused by: {inner.Message}");
        }

        if (Environment.GetEnvironmentVariable("FLAME_DEBUG") == "1")
        {
            error.WriteLine(exception.ToString());
        }
        else if (!IsExpected(exception))
        {
            error.WriteLine("  (this looks like a bug in flame: run again with FLAME_DEBUG=1 and report the trace)");
        }

        return FailureExitCode;
    }

    // Errors about the user's input or environment, as opposed to defects of ours.
    private static bool IsExpected(Exception exception) => exception is IOException or UnauthorizedAccessException
        or InvalidDataException or FormatException or ArgumentException or InvalidOperationException
        or System.Text.Json.JsonException or DllNotFoundException or NotSupportedException
        || exception.GetType().Name.EndsWith("Exception", StringComparison.Ordinal)
            && exception.GetType().Namespace?.StartsWith("Flame", StringComparison.Ordinal) == true;
}
