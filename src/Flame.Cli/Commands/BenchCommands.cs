using System.CommandLine;

namespace Flame.Cli.Commands;

/// <summary>`flame bench`: the benchmark commands whose results docs/benchmarks.md records.</summary>
public static class BenchCommands
{
    public static Command Create()
    {
        var bench = new Command("bench", "Benchmarks: throughput and memory of the platform's hot paths (results go in docs/benchmarks.md).");
        bench.Subcommands.Add(BenchAnalyzeCommand.Create());
        bench.Subcommands.Add(BenchForwardCommand.Create());
        bench.Subcommands.Add(BenchTrainCommand.Create());
        bench.Subcommands.Add(BenchServeCommand.Create());
        bench.Subcommands.Add(BenchRunCommand.Create());
        return bench;
    }
}
