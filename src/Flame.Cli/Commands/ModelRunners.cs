using Flame.Onnx.Models;
using Flame.Onnx.Transforms;
using Flame.Runtime;
using Flame.Training.Checkpoints;
using Flame.Training.Parallel;
using Google.Protobuf;

namespace Flame.Cli.Commands;

/// <summary>How eval and trace open the models they run: a model file, or a run's checkpoint (whole, or with its experts sharded).</summary>
internal static class ModelRunners
{
    public static Func<IModelRunner> FromFile(string path, SessionSettings settings) =>
        () => new ModelSession(FunctionInliner.Inline(OnnxModelFile.Load(path)).ToByteArray(), settings);

    public static Func<IModelRunner> FromCheckpoint(CheckpointStore store, long step, SessionSettings settings, int shards, string[]? shardDevices = null) => shards > 1
        ? () => ExpertParallelForward.Open(store.Load(step), shards, settings, shardDevices?.Select(ExecutionDevice.Parse).ToList())
        : () => new ModelSession(FunctionInliner.Inline(CheckpointForward.Build(store.Load(step))).ToByteArray(), settings);

    /// <summary>Model files are one graph each: sharding needs the config and weights of a run's checkpoints.</summary>
    public static void CheckShardable(int shards, int modelFiles)
    {
        if (shards > 1 && modelFiles > 0)
        {
            throw new ArgumentException("--expert-shards applies to the checkpoints of a --run; --model files run as one graph (leave --expert-shards at 1)");
        }
    }
}
