namespace Flame.Onnx.Models;

/// <summary>When <see cref="OnnxModelFile.Save"/> moves initializer data out of the .onnx file.</summary>
/// <param name="ThresholdBytes">Tensors at least this large go to the data file; null keeps every tensor inline unless the model would pass protobuf's 2 GB limit.</param>
/// <param name="FileName">The data file beside the model; default: the model's file name + ".data".</param>
public sealed record ExternalDataOptions(long? ThresholdBytes = null, string? FileName = null)
{
    /// <summary>Everything inline unless the model is too big for one protobuf message.</summary>
    public static ExternalDataOptions Automatic { get; } = new();

    /// <summary>Protobuf messages cannot exceed 2 GiB; we stay well under it.</summary>
    public const long ProtobufLimitBytes = 2L * 1024 * 1024 * 1024 - 64L * 1024 * 1024;

    /// <summary>Offsets in the data file are aligned so tensors can be memory-mapped.</summary>
    public const int Alignment = 4096;
}
