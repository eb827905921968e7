using System.CommandLine;
using Flame.Runtime;

namespace Flame.Cli.Commands;

/// <summary>The --device option every command that runs a model has, and the session settings it selects.</summary>
internal static class DeviceOption
{
    public static Option<string> Create(string? note = null) => new("--device")
    {
        Description = "cpu, cuda or cuda:N (CUDA needs `flame setup cuda`, CUDA 13 and cuDNN 9)" + (note is null ? "." : $"; {note}."),
        DefaultValueFactory = _ => "cpu",
    };

    public static SessionSettings Settings(ParseResult result, Option<string> option) => new() { Device = Device(result, option) };

    /// <summary>The device chosen; for CUDA, its plug-ins fetched first when the machine shows a GPU and lacks them.</summary>
    public static ExecutionDevice Device(ParseResult result, Option<string> option)
    {
        var device = ExecutionDevice.Parse(result.GetValue(option)!);
        CudaPlugins.EnsureFor(device, result.InvocationConfiguration.Output);
        return device;
    }
}
