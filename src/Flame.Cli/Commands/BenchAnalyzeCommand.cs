using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Flame.Analysis.Routing;

namespace Flame.Cli.Commands;

/// <summary>`flame bench analyze`: throughput and peak memory of the routing analyses on a synthetic trace.</summary>
public static class BenchAnalyzeCommand
{
    public static Command Create()
    {
        var tokens = new Option<long>("--tokens") { Description = "Tokens per (checkpoint, layer) trace.", DefaultValueFactory = _ => 10_000_000 };
        var checkpoints = new Option<int>("--checkpoints") { Description = "Traced checkpoints (saturation compares each with the last).", DefaultValueFactory = _ => 2 };
        var layers = new Option<int>("--layers") { Description = "MoE layers.", DefaultValueFactory = _ => 1 };
        var command = new Command("analyze", "Run every routing analysis on a generated FLAME-MoE-shaped trace (64 experts, top-6, 50,304 tokens) and report tokens/s and peak memory.")
        {
            tokens, checkpoints, layers,
        };
        command.SetAction(parseResult =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            var traces = new SyntheticTraceSet(parseResult.GetValue(tokens), parseResult.GetValue(checkpoints),
                Enumerable.Range(2, parseResult.GetValue(layers)).ToList());
            var clock = Stopwatch.StartNew();
            var result = RoutingAnalysis.Run(traces);
            clock.Stop();

            // Every (checkpoint, layer) trace is read once for load/co-activation/specialization.
            var traceRows = (double)result.TokensPerCheckpoint * traces.Checkpoints.Count * traces.Layers.Count;
            using var process = Process.GetCurrentProcess();
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"analysed {traceRows:N0} trace rows ({result.TokensPerCheckpoint:N0} tokens x {traces.Checkpoints.Count} checkpoints x {traces.Layers.Count} layers) in {clock.Elapsed.TotalSeconds:F1} s"));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"throughput: {traceRows / clock.Elapsed.TotalSeconds / 1e6:F2} M trace rows/s; peak working set {process.PeakWorkingSet64 / (1024.0 * 1024):F0} MiB"));
            return 0;
        });
        return command;
    }
}
