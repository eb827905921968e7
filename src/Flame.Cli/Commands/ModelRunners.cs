using Flame.Onnx.Models;
using Flame.Onnx.Transforms;
using Flame.Runtime;
using Flame.Training.Artifacts;
using Flame.Training.Checkpoints;
using Flame.Training.Parallel;
using Google.Protobuf;

namespace Flame.Cli.Commands;

/// <summary>How eval and trace open the models they run: a model file, or a run's checkpoint (whole, or with its experts sharded).</summary>
internal static class ModelRunners
{
    /// <param name="precision">fp32, or fp16/bf16 matrix multiplies (the routers' stay fp32), as training's autocast: to score as the paper's --bf16 run did.</param>
    public static Func<IModelRunner> FromFile(string path, SessionSettings settings, string precision = "fp32") => () =>
    {
        // A model from `flame export` is checked against its folder's manifest (files of other origin have none).
        Flame.Onnx.IO.FileManifest.Verify(Path.GetDirectoryName(Path.GetFullPath(path))!, [Path.GetFileName(path)]);
        return new ModelSession(TrainingModel.WithPrecision(FunctionInliner.Inline(OnnxModelFile.Load(path)), precision).ToByteArray(), settings);
    };

    public static Func<IModelRunner> FromCheckpoint(CheckpointStore store, long step, SessionSettings settings, int shards, string[]? shardDevices = null, string precision = "fp32") => shards > 1
        ? () => ExpertParallelForward.Open(store.Load(step), shards, settings, shardDevices?.Select(ExecutionDevice.Parse).ToList())
        : precision == "fp32"
            ? () => CheckpointForward.OpenSession(store.Load(step), settings)
            : () => new ModelSession(TrainingModel.WithPrecision(FunctionInliner.Inline(CheckpointForward.Build(store.Load(step))), precision).ToByteArray(), settings);

    /// <summary>Refuses what cannot run: bf16 on the CPU (ORT's CPU provider has no bfloat16 MatMul), reduced precision with expert shards.</summary>
    public static void CheckPrecision(string precision, ExecutionDevice device, int shards)
    {
        if (TrainingModel.UnsupportedPrecision(precision, device.IsCuda) is { } unsupported)
        {
            throw new ArgumentException("--" + unsupported);
        }

        if (precision != "fp32" && shards > 1)
        {
            throw new ArgumentException("--precision fp16/bf16 scores whole graphs; with --expert-shards leave it at fp32");
        }
    }

    /// <summary>Model files are one graph each: sharding needs the config and weights of a run's checkpoints.</summary>
    public static void CheckShardable(int shards, int modelFiles)
    {
        if (shards > 1 && modelFiles > 0)
        {
            throw new ArgumentException("--expert-shards applies to the checkpoints of a --run; --model files run as one graph (leave --expert-shards at 1)");
        }
    }
}
