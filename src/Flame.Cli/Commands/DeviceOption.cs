using System.CommandLine;
using Flame.Runtime;

namespace Flame.Cli.Commands;

/// <summary>
/// Where and how a command computes: --device (every command that runs a model), and for
/// training and sharded evaluation --expert-shards, --expert-devices and --precision.
/// </summary>
internal static class DeviceOption
{
    public static Option<string> Create(string? note = null) => new("--device")
    {
        Description = "cpu, cuda or cuda:N (CUDA needs `flame setup cuda`, CUDA 13 and cuDNN 9)" + (note is null ? "." : $"; {note}."),
        DefaultValueFactory = _ => "cpu",
    };

    public static Option<int> CreateExpertShards(string? note = null) => new("--expert-shards")
    {
        Description = "Expert parallelism: split each MoE layer's experts into S shards, each run in its own ORT sessions (1: the model as one graph)" + (note is null ? "." : $"; {note}."),
        DefaultValueFactory = _ => 1,
    };

    public static Option<bool> CreateNoRecompute() => new("--no-recompute")
    {
        Description = "Keep the experts' products and the attention probabilities from the forward pass instead of recomputing them in the backward: about 5 % faster, 0.6 GB more on flame-moe-38m.",
    };

    public static Option<string> CreatePrecision()
    {
        var precision = new Option<string>("--precision")
        {
            Description = "Matrix multiplies in fp32, fp16 (with dynamic loss scaling) or bf16 (CUDA only); weights and optimizer state stay fp32.",
            DefaultValueFactory = _ => "fp32",
        };
        precision.AcceptOnlyFromAmong(Flame.Onnx.Transforms.Autocast.ComputeTypes);
        return precision;
    }

    /// <summary>--expert-devices: one device per expert shard, comma-separated.</summary>
    public static Option<string?> CreateExpertDevices() => new("--expert-devices")
    {
        Description = "With --expert-shards S: S devices, comma-separated (e.g. cuda:0,cuda:1): each shard's experts, their gradients and Adam moments live and run there. Default: all on --device.",
    };

    /// <summary>The --expert-devices list, or null.</summary>
    public static string[]? ExpertDevices(ParseResult result, Option<string?> option)
    {
        if (result.GetValue(option) is not { Length: > 0 } text)
        {
            return null;
        }

        return [.. text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(ExecutionDevice.Parse).Select(d => d.ToString())];
    }

    public static SessionSettings Settings(ParseResult result, Option<string> option) => new() { Device = Device(result, option) };

    /// <summary>The device chosen (CUDA needs ORT's CUDA build: `flame setup cuda`; sessions say so when it is missing).</summary>
    public static ExecutionDevice Device(ParseResult result, Option<string> option) => ExecutionDevice.Parse(result.GetValue(option)!);
}
