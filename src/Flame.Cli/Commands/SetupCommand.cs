using System.CommandLine;
using Flame.Native;

namespace Flame.Cli.Commands;

/// <summary>`flame setup`: fetches optional native components that the build does not fetch by default.</summary>
public static class SetupCommand
{
    /// <summary>ONNX Runtime 1.29.0's CUDA plug-ins (CUDA 13, cuDNN 9), 180 MB: only GPU machines need them.</summary>
    public static readonly NpmPackage CudaPlugins = new(
        "com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9",
        "sha512-FopIhNE/Ng+v2X65wVc9clPCBCvhvA53Hxo2U0Kf5fGdVsC7iCA+mZ0KLWggcQAj7TIZ6pNidR4AC10g74Xo6w==",
        ["package/Plugins/Linux/x64/libonnxruntime_providers_cuda.so", "package/Plugins/Linux/x64/libonnxruntime_providers_shared.so"]);

    public static Command Create()
    {
        var cuda = new Command("cuda",
            "Fetch ONNX Runtime's CUDA plug-ins from npm (180 MB, integrity-checked) next to libonnxruntime.so.1, "
            + "so that --device cuda works. Needs CUDA 13 and cuDNN 9 on the machine to run.");
        cuda.SetAction(parseResult =>
        {
            var destination = Environment.GetEnvironmentVariable("FLAME_ORT_DIR") is { Length: > 0 } dir ? dir : AppContext.BaseDirectory;
            parseResult.InvocationConfiguration.Output.WriteLine($"fetching {CudaPlugins.Spec} into {destination} ...");
            NpmPackageFetcher.Fetch(CudaPlugins, destination);
            parseResult.InvocationConfiguration.Output.WriteLine("done: run `flame doctor` to check that the CUDA provider loads.");
            return 0;
        });

        var setup = new Command("setup", "Fetch optional components (native libraries) from the npm registry.");
        setup.Subcommands.Add(cuda);
        return setup;
    }
}
