namespace Flame.Analysis.Traces;

/// <summary>
/// Writes routing traces in the released FLAME-MoE layout: per layer <c>scores</c> list of
/// float16 (sorted descending) and <c>indices</c> list of int16, and <c>token_id</c> int32 in the
/// samples file. Rows are appended in token order, so row r of every layer file and of the
/// samples file is the same token by construction; memory stays bounded (one row group per layer
/// is buffered) however many tokens are traced.
/// </summary>
public sealed class TraceWriter(string tracesFolder)
{
    public string Folder { get; } = Directory.CreateDirectory(tracesFolder).FullName;

    /// <summary>Writes the held-out tokens' ids (samples/samples.parquet).</summary>
    public void WriteSamples(int[] tokenIds)
    {
        Directory.CreateDirectory(TraceLayout.SamplesFolder(Folder));
        SamplesFileWriter.Write(Path.Combine(TraceLayout.SamplesFolder(Folder), "samples.parquet"), tokenIds);
    }

    /// <summary>Writes one layer's routing at one checkpoint at once: [tokens, k] indices and scores, best first.</summary>
    public void WriteLayer(string checkpoint, int layer, ReadOnlySpan<int> indices, ReadOnlySpan<float> scores, int topK)
    {
        using var layers = BeginCheckpoint(checkpoint, [layer], topK);
        layers.Append(layer, indices, scores);
        layers.Complete();
    }

    /// <summary>Starts the layer files of one checkpoint, to be appended batch by batch in token order.</summary>
    public CheckpointTraces BeginCheckpoint(string checkpoint, IReadOnlyList<int> layers, int topK) => new(this, checkpoint, layers, topK);

    /// <summary>The layer files of one checkpoint being traced; disposed without <see cref="Complete"/>, they leave nothing behind.</summary>
    public sealed class CheckpointTraces : IDisposable
    {
        private readonly int _topK;
        private readonly Dictionary<int, LayerFileWriter> _layers = [];

        internal CheckpointTraces(TraceWriter writer, string checkpoint, IReadOnlyList<int> layers, int topK)
        {
            _topK = topK;
            Directory.CreateDirectory(TraceLayout.ActivesFolder(writer.Folder, checkpoint));
            foreach (var layer in layers)
            {
                _layers[layer] = new LayerFileWriter(TraceLayout.LayerFile(writer.Folder, checkpoint, layer), topK);
            }
        }

        /// <summary>Appends the next tokens' routing of one layer: [tokens, k] indices and scores, best first.</summary>
        public void Append(int layer, ReadOnlySpan<int> indices, ReadOnlySpan<float> scores)
        {
            if (indices.Length != scores.Length || indices.Length % _topK != 0)
            {
                throw new ArgumentException($"layer {layer}: {indices.Length} indices and {scores.Length} scores do not form rows of top-{_topK}");
            }

            _layers[layer].Append(indices, scores);
        }

        /// <summary>Writes every layer's Parquet file.</summary>
        public void Complete()
        {
            foreach (var file in _layers.Values)
            {
                file.Complete();
                file.Dispose();
            }

            _layers.Clear();
        }

        public void Dispose()
        {
            foreach (var file in _layers.Values)
            {
                file.Dispose();
            }

            _layers.Clear();
        }
    }
}
