using System.CommandLine;

namespace Flame.Cli.Commands;

/// <summary>`flame setup`: fetches optional native components that the build does not fetch by default.</summary>
public static class SetupCommand
{
    public static Command Create()
    {
        var cuda = new Command("cuda",
            "Fetch ONNX Runtime's CUDA plug-ins from npm (180 MB, integrity-checked) next to libonnxruntime.so.1, "
            + "so that --device cuda works. Needs CUDA 13 and cuDNN 9 on the machine to run.");
        cuda.SetAction(parseResult =>
        {
            CudaPlugins.Fetch(CudaPlugins.Folder, parseResult.InvocationConfiguration.Output);
            parseResult.InvocationConfiguration.Output.WriteLine("done: run `flame doctor` to check that the CUDA provider loads.");
            return 0;
        });

        var setup = new Command("setup", "Fetch optional components (native libraries) from the npm registry.");
        setup.Subcommands.Add(cuda);
        return setup;
    }
}
