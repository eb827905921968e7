using System.Globalization;
using System.Text.Json;
using Flame.Onnx.IO;
using Flame.Onnx.SafeTensors;

namespace Flame.Training.Checkpoints;

/// <summary>
/// The checkpoints of one run, Megatron-style: <c>checkpoints/iter_NNNNNNN/</c> holding
/// weights.safetensors, optimizer.safetensors and state.json, plus <c>checkpoints/latest</c>
/// naming the newest complete one.
/// <para>
/// A save writes everything into a temporary folder, flushes every file to disk, renames
/// the folder into place and only then moves <c>latest</c>: a save interrupted at any point
/// (even kill -9) leaves the previous checkpoint and <c>latest</c> untouched. Old checkpoints
/// are pruned to the last <see cref="KeepLast"/>, milestones excepted.
/// </para>
/// </summary>
public sealed class CheckpointStore(string runDirectory, int keepLast = 2)
{
    public const string WeightsFile = "weights.safetensors";
    public const string OptimizerFile = "optimizer.safetensors";
    public const string StateFile = "state.json";

    public string Folder { get; } = Path.Combine(runDirectory, "checkpoints");

    public int KeepLast { get; } = keepLast >= 1 ? keepLast : throw new ArgumentOutOfRangeException(nameof(keepLast), "keep at least one checkpoint");

    public static string NameOf(long step) => $"iter_{step:D7}";

    /// <summary>The step a checkpoint name (iter_NNNNNNN, Megatron's naming too) stands for; false for any other name.</summary>
    public static bool TryParseName(string name, out long step)
    {
        step = -1;
        return name.StartsWith("iter_", StringComparison.Ordinal) && long.TryParse(name["iter_".Length..], NumberStyles.None, CultureInfo.InvariantCulture, out step);
    }

    /// <summary>Saves a checkpoint atomically and prunes old ones; returns its folder.</summary>
    public string Save(CheckpointState state, IReadOnlyList<SafeTensor> weights, IReadOnlyList<SafeTensor> optimizer) =>
        Save(state, weights.Select(PendingTensor.Of).ToList(), optimizer.Select(PendingTensor.Of).ToList());

    /// <summary>As <see cref="Save(CheckpointState, IReadOnlyList{SafeTensor}, IReadOnlyList{SafeTensor})"/>, with each tensor's bytes produced as the file reaches it.</summary>
    public string Save(CheckpointState state, IReadOnlyList<PendingTensor> weights, IReadOnlyList<PendingTensor> optimizer)
    {
        Directory.CreateDirectory(Folder);
        RemoveLeftovers();
        var final = Path.Combine(Folder, NameOf(state.Step));
        var staging = Path.Combine(Folder, $".{NameOf(state.Step)}.{Guid.NewGuid():N}.partial");
        Directory.CreateDirectory(staging);
        try
        {
            SafeTensorsWriter.Write(Path.Combine(staging, WeightsFile), weights);
            SafeTensorsWriter.Write(Path.Combine(staging, OptimizerFile), optimizer);
            var hashed = state with
            {
                FileHashes = new Dictionary<string, string>
                {
                    [WeightsFile] = Hash(Path.Combine(staging, WeightsFile)),
                    [OptimizerFile] = Hash(Path.Combine(staging, OptimizerFile)),
                },
            };
            AtomicFile.WriteAllText(Path.Combine(staging, StateFile), JsonSerializer.Serialize(hashed, CheckpointState.Json));
            if (Directory.Exists(final))
            {
                Directory.Delete(final, recursive: true); // re-saving the same step replaces it
            }

            Directory.Move(staging, final);
        }
        catch
        {
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }

            throw;
        }

        AtomicFile.WriteAllText(Path.Combine(Folder, "latest"), NameOf(state.Step));
        Prune();
        return final;
    }

    /// <summary>Steps of the complete checkpoints on disk, oldest first.</summary>
    public IReadOnlyList<long> Steps() =>
        !Directory.Exists(Folder) ? [] :
        Directory.GetDirectories(Folder, "iter_*")
            .Select(d => TryParseName(Path.GetFileName(d), out var step) ? step : -1)
            .Where(s => s >= 0 && File.Exists(Path.Combine(Folder, NameOf(s), StateFile)))
            .Order()
            .ToList();

    /// <summary>The newest complete checkpoint, as <c>latest</c> names it; null for a run that has none.</summary>
    public long? LatestStep()
    {
        var pointer = Path.Combine(Folder, "latest");
        if (!File.Exists(pointer))
        {
            return null;
        }

        var name = File.ReadAllText(pointer).Trim();
        return TryParseName(name, out var step)
            ? step
            : throw new InvalidDataException($"{pointer}: expected a checkpoint name like iter_0000100, found '{name}'");
    }

    /// <summary>
    /// The newest checkpoint up to <paramref name="upTo"/> (default: the latest) whose files check
    /// out; each corrupt one newer than it is reported through <paramref name="warn"/> and passed over.
    /// </summary>
    /// <exception cref="InvalidDataException">no checkpoint checks out (the newest one's error).</exception>
    public LoadedCheckpoint LoadNewestIntact(Action<string> warn, long? upTo = null)
    {
        var limit = upTo ?? LatestStep() ?? throw new InvalidOperationException($"{Folder} has no checkpoint");
        InvalidDataException? newest = null;
        foreach (var step in Steps().Where(s => s <= limit).OrderDescending())
        {
            try
            {
                return Load(step);
            }
            catch (InvalidDataException e)
            {
                newest ??= e;
                warn($"warning: {NameOf(step)} is damaged ({e.Message}); falling back to the checkpoint before it");
            }
        }

        throw newest ?? new InvalidDataException($"{Folder} has no complete checkpoint up to step {limit}");
    }

    /// <summary>Opens a checkpoint after checking its files against the hashes in its state.</summary>
    /// <exception cref="InvalidDataException">a file is missing, truncated or altered; the message names it.</exception>
    public LoadedCheckpoint Load(long step)
    {
        var folder = Path.Combine(Folder, NameOf(step));
        var statePath = Path.Combine(folder, StateFile);
        if (!File.Exists(statePath))
        {
            throw new InvalidDataException($"{folder} is not a complete checkpoint: {StateFile} is missing");
        }

        CheckpointState state;
        try
        {
            state = JsonSerializer.Deserialize<CheckpointState>(File.ReadAllText(statePath), CheckpointState.Json)
                ?? throw new InvalidDataException($"{statePath} is empty");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{statePath} is not a checkpoint state: {e.Message}", e);
        }

        foreach (var (file, expected) in state.FileHashes)
        {
            var path = Path.Combine(folder, file);
            if (!File.Exists(path))
            {
                throw new InvalidDataException($"{path} is missing from the checkpoint");
            }

            if (Hash(path) != expected)
            {
                throw new InvalidDataException($"{path} is corrupt or truncated: its SHA-256 differs from the one recorded when it was saved");
            }
        }

        return new LoadedCheckpoint(folder, state);
    }

    private void Prune()
    {
        var steps = Steps();
        var keep = steps.TakeLast(KeepLast).ToHashSet();
        foreach (var step in steps.Where(s => !keep.Contains(s)))
        {
            var folder = Path.Combine(Folder, NameOf(step));
            var state = JsonSerializer.Deserialize<CheckpointState>(File.ReadAllText(Path.Combine(folder, StateFile)), CheckpointState.Json);
            if (state is { Milestone: false })
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    // Partial folders of interrupted saves are garbage: they were never named as checkpoints.
    private void RemoveLeftovers()
    {
        foreach (var partial in Directory.GetDirectories(Folder, ".iter_*.partial"))
        {
            Directory.Delete(partial, recursive: true);
        }
    }

    private static string Hash(string path) => Flame.Onnx.IO.FileManifest.Sha256(path);
}

/// <summary>A verified checkpoint: its folder and state; tensors are read from its files on demand.</summary>
public sealed record LoadedCheckpoint(string Folder, CheckpointState State)
{
    public SafeTensorsFile OpenWeights() => SafeTensorsFile.Open(Path.Combine(Folder, CheckpointStore.WeightsFile));

    public SafeTensorsFile OpenOptimizer() => SafeTensorsFile.Open(Path.Combine(Folder, CheckpointStore.OptimizerFile));
}
