using Flame.Onnx.Proto;

namespace Flame.ModelGraphs.Parallel;

/// <summary>A parameter a stage reads: rows [FirstRow, FirstRow + Shape[0]) of the model's parameter <paramref name="Name"/> (all of it for trunk stages).</summary>
public sealed record StageParameter(string Name, long[] Shape, long FirstRow);

/// <summary>One graph of the expert-parallel forward: a trunk stage, or one shard of one MoE layer's experts (Layer, Shard ≥ 0).</summary>
public sealed record ForwardStage(string Name, ModelProto Model, IReadOnlyList<StageParameter> Parameters, int Layer = -1, int Shard = -1)
{
    public bool IsExpertShard => Shard >= 0;
}
