using Flame.Native.DuckDb;

namespace Flame.Analysis.Traces;

/// <summary>
/// Writes routing traces in the released layout through DuckDB. Rows are appended in token
/// order to one table per file and copied to Parquet in that order, so row r of every layer
/// file and of the samples file is the same token by construction.
/// </summary>
public sealed class TraceWriter(string tracesFolder) : IDisposable
{
    private readonly DuckDbDatabase _database = DuckDbDatabase.Open();
    private DuckDbConnection? _connection;

    private DuckDbConnection Connection => _connection ??= _database.Connect();

    public string Folder { get; } = tracesFolder;

    /// <summary>Writes the held-out tokens' ids (samples/samples.parquet).</summary>
    public void WriteSamples(ReadOnlySpan<int> tokenIds)
    {
        Directory.CreateDirectory(TraceLayout.SamplesFolder(Folder));
        Connection.Execute("CREATE OR REPLACE TEMP TABLE samples (token_id INTEGER)");
        using (var appender = Connection.CreateAppender("samples"))
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

        Copy("samples", Path.Combine(TraceLayout.SamplesFolder(Folder), "samples.parquet"));
    }

    /// <summary>Writes one layer's routing at one checkpoint: [tokens, k] indices and scores, best first.</summary>
    public void WriteLayer(string checkpoint, int layer, ReadOnlySpan<int> indices, ReadOnlySpan<float> scores, int topK)
    {
        if (indices.Length != scores.Length || indices.Length % topK != 0)
        {
            throw new ArgumentException($"layer {layer}: {indices.Length} indices and {scores.Length} scores do not form rows of top-{topK}");
        }

        Directory.CreateDirectory(TraceLayout.ActivesFolder(Folder, checkpoint));
        Connection.Execute("CREATE OR REPLACE TEMP TABLE actives (scores FLOAT[], indices SMALLINT[])");
        using (var appender = Connection.CreateAppender("actives"))
        using (var chunk = appender.CreateChunk())
        {
            var tokens = indices.Length / topK;
            for (var start = 0; start < tokens; start += chunk.Capacity)
            {
                // Whole chunks of fixed-width lists: one native call per 2,048 tokens, not per value.
                var rows = Math.Min(chunk.Capacity, tokens - start);
                scores.Slice(start * topK, rows * topK).CopyTo(chunk.FixedLists<float>(0, topK));
                var chunkIndices = chunk.FixedLists<short>(1, topK);
                for (var i = 0; i < rows * topK; i++)
                {
                    chunkIndices[i] = checked((short)indices[start * topK + i]);
                }

                chunk.RowCount = rows;
                appender.AppendChunk(chunk);
            }
        }

        Copy("actives", TraceLayout.LayerFile(Folder, checkpoint, layer));
    }

    public void Dispose()
    {
        _connection?.Dispose();
        _database.Dispose();
    }

    // Written beside the target and renamed, so a reader never sees half a file.
    private void Copy(string table, string path)
    {
        var temporary = path + ".partial";
        Connection.Execute($"COPY {table} TO '{temporary.Replace("'", "''", StringComparison.Ordinal)}' (FORMAT PARQUET)");
        File.Move(temporary, path, overwrite: true);
    }
}
