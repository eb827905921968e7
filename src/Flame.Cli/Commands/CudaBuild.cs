using System.Diagnostics;
using System.Text.Json;
using Flame.Runtime;

namespace Flame.Cli.Commands;

/// <summary>
/// ONNX Runtime's CUDA build (Microsoft.ML.OnnxRuntime.Gpu.Linux, the pinned version; CUDA 13,
/// cuDNN 9; a 245 MB package), which `flame setup cuda` brings through NuGet and puts beside the
/// assemblies in place of the CPU build: the CPU build has no CUDA provider at all, and the CUDA
/// build runs the CPU provider too. A machine that shows no GPU never fetches it. Source builds
/// can take it with -p:FlameCuda=true instead (it then survives rebuilds).
/// </summary>
public static class CudaBuild
{
    public const string Package = "Microsoft.ML.OnnxRuntime.Gpu.Linux";

    /// <summary>The libraries taken from the package's runtimes/linux-x64/native (TensorRT's provider is not).</summary>
    public static readonly string[] Libraries = ["libonnxruntime.so", "libonnxruntime_providers_shared.so", "libonnxruntime_providers_cuda.so"];

    /// <summary>Where ORT's core is loaded from, and where it looks for its providers.</summary>
    public static string Folder => AppContext.BaseDirectory;

    public static bool Present(string folder) => Libraries.All(l => File.Exists(Path.Combine(folder, l)));

    /// <summary>Whether the NVIDIA driver exposes a device to this machine.</summary>
    public static bool GpuVisible(string devices = "/dev") =>
        File.Exists(Path.Combine(devices, "nvidiactl")) && Directory.Exists(devices) && Directory.EnumerateFiles(devices, "nvidia*").Any(f => char.IsDigit(f[^1]));

    /// <summary>Restores the package through NuGet (into NuGet's own package cache) and copies its libraries into <paramref name="folder"/>, each atomically.</summary>
    /// <exception cref="InvalidOperationException">no dotnet SDK to restore with, or the restore failed; the message says what to do.</exception>
    public static void Install(string folder, TextWriter log)
    {
        log.WriteLine($"restoring {Package} {RuntimeInfo.PinnedVersion} through NuGet (245 MB, once; NuGet caches it) ...");
        var native = Restore();
        foreach (var library in Libraries)
        {
            var source = Path.Combine(native, library);
            if (!File.Exists(source))
            {
                throw new InvalidOperationException($"{Package} {RuntimeInfo.PinnedVersion} has no {library} in {native}");
            }

            var target = Path.Combine(folder, library);
            var partial = target + ".partial";
            File.Copy(source, partial, overwrite: true);
            File.Move(partial, target, overwrite: true);   // a running process keeps the file it mapped
            log.WriteLine($"  {target}");
        }
    }

    /// <summary>Restores a throwaway project that references the package; returns the package's native folder.</summary>
    private static string Restore()
    {
        var project = Directory.CreateTempSubdirectory("flame-cuda-restore-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(project, "cuda.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup><TargetFramework>net10.0</TargetFramework><RuntimeIdentifier>linux-x64</RuntimeIdentifier></PropertyGroup>
                  <ItemGroup><PackageReference Include="{Package}" Version="{RuntimeInfo.PinnedVersion}" /></ItemGroup>
                </Project>
                """);
            var start = new ProcessStartInfo("dotnet", ["restore", "--nologo", "-v", "q"]) { WorkingDirectory = project, RedirectStandardOutput = true, RedirectStandardError = true };
            using var process = StartDotnet(start);
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"NuGet could not restore {Package} {RuntimeInfo.PinnedVersion} (dotnet restore exited {process.ExitCode}): {(output.Result + error).Trim()}");
            }

            // NuGet says where it keeps packages in the assets file (NUGET_PACKAGES, or ~/.nuget/packages).
            using var assets = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(project, "obj", "project.assets.json")));
            var packages = assets.RootElement.GetProperty("packageFolders").EnumerateObject().First().Name;
            return Path.Combine(packages, Package.ToLowerInvariant(), RuntimeInfo.PinnedVersion, "runtimes", "linux-x64", "native");
        }
        finally
        {
            Directory.Delete(project, recursive: true);
        }
    }

    private static Process StartDotnet(ProcessStartInfo start)
    {
        try
        {
            return Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException(
                $"`flame setup cuda` restores {Package} through NuGet and needs the dotnet SDK on the PATH ({e.Message}). "
                + "On a machine without it, build elsewhere with -p:FlameCuda=true and copy the output (docs/gpu.md).", e);
        }
    }
}
