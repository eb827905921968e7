using System.CommandLine;

namespace Flame.Cli.Commands;

/// <summary>`flame setup`: brings optional native components that a default build does not.</summary>
public static class SetupCommand
{
    public static Command Create()
    {
        var force = new Option<bool>("--force") { Description = "Fetch even though this machine shows no NVIDIA GPU (to copy the folder to one that has)." };
        var cuda = new Command("cuda",
            $"Restore ONNX Runtime's CUDA build ({CudaBuild.Package} {Flame.Runtime.RuntimeInfo.PinnedVersion}, 245 MB) through NuGet and put it "
            + "beside flame in place of the CPU build, so that --device cuda works. Needs CUDA 13 and cuDNN 9 on the machine to run. "
            + "Source builds can use `dotnet build -p:FlameCuda=true` instead, which a rebuild keeps.") { force };
        cuda.SetAction(parseResult =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            if (CudaBuild.Present(CudaBuild.Folder))
            {
                output.WriteLine($"ONNX Runtime's CUDA build is already in {CudaBuild.Folder}: run `flame doctor` to check that the CUDA provider loads.");
                return 0;
            }

            if (!CudaBuild.GpuVisible() && !parseResult.GetValue(force))
            {
                parseResult.InvocationConfiguration.Error.WriteLine(
                    "flame: error: this machine shows no NVIDIA GPU (no /dev/nvidia0), so nothing was fetched. "
                    + "Run this on the GPU machine, add --force to fetch anyway, or build with -p:FlameCuda=true (docs/gpu.md).");
                return ErrorReport.FailureExitCode;
            }

            CudaBuild.Install(CudaBuild.Folder, output);
            output.WriteLine("done: run `flame doctor` to check that the CUDA provider loads (a plain `dotnet build` of the sources puts the CPU build back; -p:FlameCuda=true keeps this one).");
            return 0;
        });

        var setup = new Command("setup", "Bring optional components (ONNX Runtime's CUDA build) through NuGet.");
        setup.Subcommands.Add(cuda);
        return setup;
    }
}
