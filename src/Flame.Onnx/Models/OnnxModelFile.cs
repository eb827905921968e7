using Flame.Onnx.IO;
using Flame.Onnx.Proto;
using Google.Protobuf;

namespace Flame.Onnx.Models;

/// <summary>
/// Loads and saves ONNX models, including tensors kept in an external data file (models over
/// 2 GB must keep them there) and model-local functions. Saves are atomic.
/// </summary>
public static class OnnxModelFile
{
    /// <summary>Parses a model; external tensors are read into memory from files beside <paramref name="path"/>.</summary>
    /// <exception cref="InvalidDataException">not an ONNX model, or an external tensor's file is missing or too short; the message names the file.</exception>
    public static ModelProto Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"model file not found: {path}", path);
        }

        ModelProto model;
        try
        {
            using var stream = File.OpenRead(path);
            model = ModelProto.Parser.ParseFrom(stream);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidDataException($"{path} is not an ONNX model: {e.Message}", e);
        }

        if (model.Graph is null)
        {
            throw new InvalidDataException($"{path} is not an ONNX model: it has no graph");
        }

        ExternalData.ResolveInto(model, Path.GetDirectoryName(Path.GetFullPath(path))!);
        return model;
    }

    /// <summary>Parses a model from bytes (no external data can be resolved).</summary>
    public static ModelProto Load(byte[] bytes, string description = "model bytes")
    {
        try
        {
            return ModelProto.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidDataException($"{description} are not an ONNX model: {e.Message}", e);
        }
    }

    /// <summary>
    /// Writes <paramref name="model"/> to <paramref name="path"/>. Initializers above the threshold (or all large
    /// ones, when the model would not fit in one protobuf message) go to a data file beside it, with
    /// external_data entries pointing at them. The model passed in is not modified.
    /// </summary>
    public static void Save(ModelProto model, string path, ExternalDataOptions? options = null)
    {
        options ??= ExternalDataOptions.Automatic;
        var fullPath = Path.GetFullPath(path);
        var dataName = options.FileName ?? Path.GetFileName(fullPath) + ".data";
        var copy = model.Clone();
        var threshold = options.ThresholdBytes ?? (copy.CalculateSize() > ExternalDataOptions.ProtobufLimitBytes ? 1024 : (long?)null);
        if (threshold is { } bytes)
        {
            ExternalData.MoveOut(copy, bytes, Path.Combine(Path.GetDirectoryName(fullPath)!, dataName), dataName);
        }

        AtomicFile.Write(fullPath, stream => copy.WriteTo(stream));
    }
}
