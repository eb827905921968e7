using System.Diagnostics;

namespace Flame.Native.Tests.Support;

/// <summary>Command-line tools the tests use to make real fixture files (zstd from Debian's zstd package).</summary>
public static class ExternalTools
{
    /// <summary>Compresses <paramref name="input"/> to <paramref name="output"/> with the zstd CLI (fails the test when it is missing).</summary>
    public static void Zstd(string input, string output, int level = 3) =>
        Run("zstd", "-q", "-f", $"-{level}", input, "-o", output);

    /// <summary>Copies the first <paramref name="keep"/> bytes of <paramref name="source"/> to <paramref name="destination"/> (a truncated file).</summary>
    public static void Truncate(string source, string destination, long keep)
    {
        using var input = File.OpenRead(source);
        using var output = File.Create(destination);
        var buffer = new byte[keep];
        input.ReadExactly(buffer);
        output.Write(buffer);
    }

    private static void Run(string tool, params string[] arguments)
    {
        var start = new ProcessStartInfo(tool) { RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {tool}");
        var errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{tool} {string.Join(' ', arguments)} failed: {errors}");
        }
    }
}
