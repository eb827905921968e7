using System.Text.Json;
using Flame.Import.Torch;

namespace Flame.Import.Megatron;

/// <summary>
/// One Megatron-Core distributed checkpoint, <c>iter_NNNNNNN/</c>: <c>metadata.json</c> (the
/// backends: torch_dist version 1 for the sharded tensors, torch version 1 for the rest),
/// <c>common.pt</c> (torch.save of what is not sharded: args, iteration, ...) and a
/// torch.distributed.checkpoint folder (<c>.metadata</c>, <c>__R_W.distcp</c>).
/// </summary>
public sealed class MegatronCheckpoint : IDisposable
{
    public const string ConfigFile = "metadata.json";
    public const string CommonFile = "common.pt";

    private MegatronCheckpoint(string folder, long iteration, MegatronArgs args, DistributedCheckpoint tensors)
    {
        Folder = folder;
        Iteration = iteration;
        Args = args;
        Tensors = tensors;
    }

    public string Folder { get; }

    /// <summary>The training iteration it was saved at (common.pt's iteration, else the folder's name).</summary>
    public long Iteration { get; }

    public MegatronArgs Args { get; }

    public DistributedCheckpoint Tensors { get; }

    /// <exception cref="InvalidDataException">not a torch_dist checkpoint of a version we read, or a file of it is damaged; the message names the file and the key.</exception>
    public static MegatronCheckpoint Open(string folder)
    {
        if (!Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException($"{folder} does not exist");
        }

        CheckBackends(Path.Combine(folder, ConfigFile));
        var commonPath = Path.Combine(folder, CommonFile);
        object? common = null;
        if (File.Exists(commonPath))
        {
            using var stream = File.OpenRead(commonPath);
            using var archive = TorchArchive.Open(stream, commonPath);
            common = archive.Root;
        }

        var iteration = common.Field("iteration") switch
        {
            int i => i,
            long l => l,
            _ => IterationOfName(folder),
        };
        return new MegatronCheckpoint(folder, iteration, MegatronArgs.From(common), DistributedCheckpoint.Open(folder));
    }

    /// <summary>The iteration in a folder name iter_NNNNNNN, or 0.</summary>
    public static long IterationOfName(string folder) =>
        Flame.Training.Checkpoints.CheckpointStore.TryParseName(Path.GetFileName(Path.TrimEndingDirectorySeparator(folder)), out var step) ? step : 0;

    public void Dispose() => Tensors.Dispose();

    // megatron/core/dist_checkpointing/core.py: CheckpointingConfig, saved as metadata.json.
    private static void CheckBackends(string path)
    {
        if (!File.Exists(path))
        {
            throw new InvalidDataException($"{path} is missing: {Path.GetDirectoryName(path)} is not a Megatron-Core distributed checkpoint (a legacy mp_rank_NN/model_optim_rng.pt checkpoint is not read)");
        }

        JsonElement config;
        try
        {
            config = JsonDocument.Parse(File.ReadAllText(path)).RootElement;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not JSON ({e.Message})", e);
        }

        Expect(config, path, "sharded_backend", "torch_dist", "the zarr backend is not read");
        Expect(config, path, "sharded_backend_version", "1", null);
        Expect(config, path, "common_backend", "torch", null);
        Expect(config, path, "common_backend_version", "1", null);
    }

    private static void Expect(JsonElement config, string path, string key, string expected, string? why)
    {
        if (!config.TryGetProperty(key, out var value))
        {
            throw new InvalidDataException($"{path}: \"{key}\" is missing");
        }

        var text = value.ValueKind == JsonValueKind.String ? value.GetString() : value.GetRawText();
        if (text != expected)
        {
            throw new InvalidDataException($"{path}: \"{key}\" is {value.GetRawText()}; only {expected} is read{(why is null ? "" : $" ({why})")}");
        }
    }
}
