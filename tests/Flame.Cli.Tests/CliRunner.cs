using Flame.Cli;

namespace Flame.Cli.Tests;

/// <summary>Runs the flame command in-process and captures what a user would see.</summary>
public static class CliRunner
{
    public static (int ExitCode, string Output, string Error) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exitCode = FlameCommandLine.Run(args, output, error);
        return (exitCode, output.ToString(), error.ToString());
    }
}
