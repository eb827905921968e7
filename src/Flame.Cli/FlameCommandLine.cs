using System.CommandLine;
using Flame.Cli.Commands;

namespace Flame.Cli;

/// <summary>The composition root: builds the command tree and runs it with the project's error handling.</summary>
public static class FlameCommandLine
{
    /// <summary>The whole command tree, one factory per command group.</summary>
    public static RootCommand CreateRoot()
    {
        var root = new RootCommand(
            "Flame.Onnx: train, evaluate, export and analyse FLAME-MoE mixture-of-experts models on ONNX Runtime.");
        root.Subcommands.Add(DoctorCommand.Create());
        root.Subcommands.Add(SetupCommand.Create());
        root.Subcommands.Add(DataCommands.Create());
        root.Subcommands.Add(TokenizerCommands.Create());
        root.Subcommands.Add(ModelCommands.Create());
        root.Subcommands.Add(TrainCommand.Create());
        root.Subcommands.Add(EvalCommand.Create());
        root.Subcommands.Add(ExportCommand.Create());
        root.Subcommands.Add(ImportCommand.Create());
        root.Subcommands.Add(ServeCommand.Create());
        root.Subcommands.Add(TraceCommand.Create());
        root.Subcommands.Add(AnalyzeCommand.Create());
        root.Subcommands.Add(ScalingCommands.Create());
        root.Subcommands.Add(BenchCommands.Create());
        root.Subcommands.Add(QuickstartCommand.Create());
        return root;
    }

    /// <summary>Parses and runs; user errors are printed as one clear message, never a stack trace.</summary>
    public static int Run(string[] args, TextWriter? output = null, TextWriter? error = null)
    {
        var configuration = new InvocationConfiguration
        {
            EnableDefaultExceptionHandler = false,
            Output = output ?? Console.Out,
            Error = error ?? Console.Error,
        };
        try
        {
            return CreateRoot().Parse(args).Invoke(configuration);
        }
        catch (Exception exception)
        {
            return ErrorReport.Write(exception, configuration.Error);
        }
    }
}
