using System.Text.Json;
using Flame.ModelGraphs.Model;
using Flame.Onnx.IO;
using Flame.Onnx.Models;
using Flame.Onnx.Proto;
using Flame.Onnx.SafeTensors;
using Flame.Onnx.Transforms;
using Flame.Training.Checkpoints;

namespace Flame.Training.Export;

/// <summary>What an export wrote.</summary>
public sealed record ExportResult(string Model, string DecoderWithPast, string SafeTensors, string Config, string? Tokenizer);

/// <summary>
/// A checkpoint as standalone files for downstream tools (docs/export.md):
/// <list type="bullet">
/// <item>model.onnx: the forward graph with the weights (external data automatically past 2 GB), opset 17 / IR 8 by default, metadata_props flame.config / flame.step / flame.tokenizer;</item>
/// <item>decoder_with_past.onnx: the same model with a KV cache (past_key_values.i.* in, present.i.* out) for generation, prefill with a past of length 0;</item>
/// <item>with <c>float16</c>: both graphs store their weights as float16 (cast to float32 where read);</item>
/// <item>model.safetensors + config.json: the same weights under the same names, for PyTorch users;</item>
/// <item>tokenizer.json beside them, when the run has one.</item>
/// </list>
/// </summary>
public static class CheckpointExporter
{
    /// <summary>
    /// Writes the export into a staging folder, hashes it into manifest.json and renames it into
    /// place, so <paramref name="target"/> holds a whole export or none; an existing export is
    /// replaced only with <paramref name="overwrite"/>.
    /// </summary>
    /// <exception cref="IOException">the target exists and <paramref name="overwrite"/> is false.</exception>
    public static ExportResult Export(LoadedCheckpoint checkpoint, string target, string? tokenizer, ForwardOptions? options = null, bool float16 = false, bool overwrite = false)
    {
        target = Path.GetFullPath(target);
        var written = StagedFolder.Write(target, overwrite, "an export", staging =>
        {
            var result = Write(checkpoint, staging, tokenizer, options ?? new ForwardOptions(), float16);
            FileManifest.Write(staging);
            return result;
        });
        string At(string path) => Path.Combine(target, Path.GetFileName(path));
        return new ExportResult(At(written.Model), At(written.DecoderWithPast), At(written.SafeTensors), At(written.Config), written.Tokenizer is null ? null : At(written.Tokenizer));
    }

    private static ExportResult Write(LoadedCheckpoint checkpoint, string folder, string? tokenizer, ForwardOptions options, bool float16)
    {
        Directory.CreateDirectory(folder);
        string Save(ModelProto model, string name)
        {
            if (tokenizer is not null)
            {
                model.MetadataProps.Add(new StringStringEntryProto { Key = "flame.tokenizer", Value = "tokenizer.json" });
            }

            model.MetadataProps.Add(new StringStringEntryProto { Key = "flame.weights", Value = float16 ? "float16" : "float32" });
            var path = Path.Combine(folder, name);
            OnnxModelFile.Save(float16 ? Float16Weights.Apply(model) : model, path);
            return path;
        }

        var modelPath = Save(CheckpointForward.Build(checkpoint, options with { KvCache = false }), "model.onnx");
        var decoderPath = Save(CheckpointForward.Build(checkpoint, options with { KvCache = true }), "decoder_with_past.onnx");

        var weightsPath = Path.Combine(folder, "model.safetensors");
        using (var weights = checkpoint.OpenWeights())
        {
            SafeTensorsWriter.Write(weightsPath,
                weights.Entries.Select(e => new SafeTensor(e.Name, e.DType, e.Shape, weights.ReadBytes(e.Name))).ToList(),
                new Dictionary<string, string> { ["format"] = "flame-onnx", ["step"] = checkpoint.State.Step.ToString(System.Globalization.CultureInfo.InvariantCulture), ["layout"] = "linear weights [in, out]: y = x @ W" });
        }

        var configPath = Path.Combine(folder, "config.json");
        AtomicFile.WriteAllText(configPath, checkpoint.State.Config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        string? tokenizerPath = null;
        if (tokenizer is not null)
        {
            tokenizerPath = Path.Combine(folder, "tokenizer.json");
            File.Copy(tokenizer, tokenizerPath, overwrite: true);
        }

        return new ExportResult(modelPath, decoderPath, weightsPath, configPath, tokenizerPath);
    }
}
