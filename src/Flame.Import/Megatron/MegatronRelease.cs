using System.Globalization;
using Flame.Training.Checkpoints;

namespace Flame.Import.Megatron;

/// <summary>
/// Which checkpoint folders a path names: one checkpoint (it has metadata.json), or a release
/// folder of iter_NNNNNNN/ checkpoints beside latest_checkpointed_iteration.txt, as Megatron
/// saves them (megatron/training/checkpointing.py): its latest one, or every one.
/// </summary>
public static class MegatronRelease
{
    public const string LatestFile = "latest_checkpointed_iteration.txt";

    public static IReadOnlyList<string> Checkpoints(string path, bool all)
    {
        if (!Directory.Exists(path))
        {
            throw new DirectoryNotFoundException($"{path} does not exist");
        }

        if (File.Exists(Path.Combine(path, MegatronCheckpoint.ConfigFile)))
        {
            return [path];
        }

        var iterations = Directory.GetDirectories(path, "iter_*").Where(d => CheckpointStore.TryParseName(Path.GetFileName(d), out _))
            .OrderBy(MegatronCheckpoint.IterationOfName).ToList();
        if (iterations.Count == 0)
        {
            throw new InvalidDataException($"{path} is neither a Megatron checkpoint (no {MegatronCheckpoint.ConfigFile}) nor a folder of iter_NNNNNNN checkpoints");
        }

        if (all)
        {
            return iterations;
        }

        var latest = Path.Combine(path, LatestFile);
        if (!File.Exists(latest))
        {
            return [iterations[^1]];
        }

        var text = File.ReadAllText(latest).Trim();
        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var iteration))
        {
            throw new InvalidDataException($"{latest}: expected an iteration number, found '{text}'");
        }

        var folder = Path.Combine(path, $"iter_{iteration:D7}");
        return Directory.Exists(folder) ? [folder] : throw new InvalidDataException($"{latest} names iteration {iteration}, but {folder} is missing");
    }
}
