using Flame.Native.DuckDb;

namespace Flame.Analysis.Traces;

/// <summary>
/// Writes routing traces in the released layout through DuckDB. Rows are appended in token
/// order to one table per file and copied to Parquet in that order, so row r of every layer
/// file and of the samples file is the same token by construction. The tables live in an
/// on-disk staging database beside the traces, so memory stays bounded however many tokens
/// are traced (DuckDB spills to that file).
/// </summary>
public sealed class TraceWriter : IDisposable
{
    private readonly DuckDbDatabase _database;
    private readonly DuckDbConnection _connection;
    private readonly string _staging;

    public TraceWriter(string tracesFolder)
    {
        Folder = tracesFolder;
        Directory.CreateDirectory(tracesFolder);
        _staging = Path.Combine(tracesFolder, $".staging-{Guid.NewGuid():N}.duckdb");
        _database = DuckDbDatabase.Open(_staging, new Dictionary<string, string> { ["memory_limit"] = "1GB" });
        _connection = _database.Connect();
    }

    public string Folder { get; }

    /// <summary>Writes the held-out tokens' ids (samples/samples.parquet).</summary>
    public void WriteSamples(ReadOnlySpan<int> tokenIds)
    {
        Directory.CreateDirectory(TraceLayout.SamplesFolder(Folder));
        _connection.Execute("CREATE OR REPLACE TABLE samples (token_id INTEGER)");
        using (var appender = _connection.CreateAppender("samples"))
        using (var chunk = appender.CreateChunk())
        {
            for (var start = 0; start < tokenIds.Length; start += chunk.Capacity)
            {
                var rows = Math.Min(chunk.Capacity, tokenIds.Length - start);
                tokenIds.Slice(start, rows).CopyTo(chunk.Values<int>(0));
                chunk.RowCount = rows;
                appender.AppendChunk(chunk);
            }
        }

        CopyAndDrop("samples", Path.Combine(TraceLayout.SamplesFolder(Folder), "samples.parquet"));
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

    public void Dispose()
    {
        _connection.Dispose();
        _database.Dispose();
        foreach (var file in new[] { _staging, _staging + ".wal" })
        {
            File.Delete(file);
        }
    }

    /// <summary>The layer tables of one checkpoint being traced.</summary>
    public sealed class CheckpointTraces : IDisposable
    {
        private readonly TraceWriter _writer;
        private readonly string _checkpoint;
        private readonly int _topK;
        private readonly Dictionary<int, (DuckDbAppender Appender, DuckDbAppendChunk Chunk)> _layers = [];

        internal CheckpointTraces(TraceWriter writer, string checkpoint, IReadOnlyList<int> layers, int topK)
        {
            _writer = writer;
            _checkpoint = checkpoint;
            _topK = topK;
            Directory.CreateDirectory(TraceLayout.ActivesFolder(writer.Folder, checkpoint));
            foreach (var layer in layers)
            {
                writer._connection.Execute($"CREATE OR REPLACE TABLE {Table(layer)} (scores FLOAT[], indices SMALLINT[])");
                var appender = writer._connection.CreateAppender(Table(layer));
                _layers[layer] = (appender, appender.CreateChunk());
            }
        }

        /// <summary>Appends the next tokens' routing of one layer: [tokens, k] indices and scores, best first.</summary>
        public void Append(int layer, ReadOnlySpan<int> indices, ReadOnlySpan<float> scores)
        {
            if (indices.Length != scores.Length || indices.Length % _topK != 0)
            {
                throw new ArgumentException($"layer {layer}: {indices.Length} indices and {scores.Length} scores do not form rows of top-{_topK}");
            }

            var (appender, chunk) = _layers[layer];
            var tokens = indices.Length / _topK;
            for (var start = 0; start < tokens; start += chunk.Capacity)
            {
                // Whole chunks of fixed-width lists: one native call per 2,048 tokens, not per value.
                var rows = Math.Min(chunk.Capacity, tokens - start);
                scores.Slice(start * _topK, rows * _topK).CopyTo(chunk.FixedLists<float>(0, _topK));
                var chunkIndices = chunk.FixedLists<short>(1, _topK);
                for (var i = 0; i < rows * _topK; i++)
                {
                    chunkIndices[i] = checked((short)indices[start * _topK + i]);
                }

                chunk.RowCount = rows;
                appender.AppendChunk(chunk);
            }
        }

        /// <summary>Writes every layer's Parquet file.</summary>
        public void Complete()
        {
            foreach (var (layer, (appender, chunk)) in _layers)
            {
                chunk.Dispose();
                appender.Dispose();
                _writer.CopyAndDrop(Table(layer), TraceLayout.LayerFile(_writer.Folder, _checkpoint, layer));
            }

            _layers.Clear();
        }

        public void Dispose()
        {
            foreach (var (chunk, appender) in _layers.Values.Select(l => (l.Chunk, l.Appender)))
            {
                chunk.Dispose();
                appender.Dispose();
            }
        }

        private static string Table(int layer) => $"layer_{layer:D2}";
    }

    // Written beside the target and renamed, so a reader never sees half a file.
    private void CopyAndDrop(string table, string path)
    {
        var temporary = path + ".partial";
        _connection.Execute($"COPY {table} TO {DuckDbSql.Literal(temporary)} (FORMAT PARQUET)");
        _connection.Execute($"DROP TABLE {table}");
        File.Move(temporary, path, overwrite: true);
    }
}
