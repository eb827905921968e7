using System.CommandLine;
using Flame.Runtime;

namespace Flame.Cli.Commands;

/// <summary>`flame doctor`: what this machine's Flame.Onnx can use, and what is missing.</summary>
public static class DoctorCommand
{
    public static Command Create()
    {
        var command = new Command("doctor", "Print the ONNX Runtime version, its execution providers, the native library paths and whether CUDA loads.");
        command.SetAction(parseResult =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            var info = RuntimeInfo.Probe();
            output.WriteLine($"ONNX Runtime     {info.Version}");
            output.WriteLine($"  library        {info.LibraryPath}");
            output.WriteLine($"  providers      {string.Join(", ", info.AvailableProviders)} (compiled in; CUDA also needs its plug-ins)");
            output.WriteLine($"  build          {info.BuildInfo}");
            output.WriteLine($"CUDA             {(info.CudaUsable ? "usable" : "not usable")}: {info.CudaStatus.Trim()}");
            foreach (var (name, file) in new[] { ("DuckDB", "libduckdb.so"), ("zstd", "/usr/lib/x86_64-linux-gnu/libzstd.so.1") })
            {
                var path = Path.IsPathRooted(file) ? file : Path.Combine(AppContext.BaseDirectory, file);
                output.WriteLine($"{name,-16} {(File.Exists(path) ? path : $"missing ({path})")}");
            }

            output.WriteLine($".NET             {Environment.Version}, {Environment.ProcessorCount} cores");
            return 0;
        });
        return command;
    }
}
