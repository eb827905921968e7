using System.CommandLine;
using Flame.Native.DuckDb;
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
            var build = File.Exists(Path.Combine(Path.GetDirectoryName(info.LibraryPath) ?? "", "libonnxruntime_providers_cuda.so"))
                ? "CUDA build, Microsoft.ML.OnnxRuntime.Gpu.Linux" : "CPU build, Microsoft.ML.OnnxRuntime";
            var pinned = info.Version == RuntimeInfo.PinnedVersion ? "" : $" (NOT the pinned {RuntimeInfo.PinnedVersion}: rebuild)";
            output.WriteLine($"ONNX Runtime     {info.Version}{pinned} ({build})");
            output.WriteLine($"  library        {info.LibraryPath}");
            output.WriteLine($"  providers      {string.Join(", ", info.AvailableProviders)}");
            output.WriteLine($"  telemetry      off (DisableTelemetryEvents on the environment)");
            output.WriteLine($"CUDA             {(info.CudaUsable ? "usable" : "not usable")}: {info.CudaStatus.Trim()}");
            output.WriteLine($"DuckDB           {DuckDbVersion()} (DuckDB.NET.Data.Full; extensions never auto-installed)");
            output.WriteLine($"zstd             ZstdSharp {typeof(ZstdSharp.DecompressionStream).Assembly.GetName().Version} (managed)");
            output.WriteLine($"Parquet writer   ParquetSharp {typeof(ParquetSharp.ParquetFileWriter).Assembly.GetName().Version} (float16 traces)");
            output.WriteLine($".NET             {Environment.Version}, {Environment.ProcessorCount} cores");
            return 0;
        });
        return command;
    }

    private static string DuckDbVersion()
    {
        try
        {
            using var connection = DuckDbConnections.Open();
            using var reader = connection.Query("SELECT version()");
            return reader.Read() ? reader.GetString(0) : "unknown";
        }
        catch (DllNotFoundException)
        {
            return $"missing: no libduckdb.so in {AppContext.BaseDirectory} (left out of this build?)";
        }
    }
}
