using Apache.Arrow;
using DuckDB.NET.Data;
using Flame.Analysis.Routing;
using Flame.Native.DuckDb;

namespace Flame.Analysis.Traces;

/// <summary>
/// Routing traces read from Parquet in the released layout — ours, or the original FLAME-MoE
/// release (float16 scores and int16 indices, which DuckDB reads as FLOAT and SMALLINT).
/// Each layer file is joined row by row with the samples (POSITIONAL JOIN), read as Arrow batches
/// (whole columns, no per-row objects) and regrouped in blocks of fixed size, so memory stays
/// bounded and block boundaries agree across checkpoints.
/// </summary>
public sealed class ParquetTraceSet : IRoutingTraceSet, IDisposable
{
    public const int BlockRows = 65_536;

    private readonly DuckDBConnection _connection = DuckDbConnections.Open();
    private readonly string _folder;

    public ParquetTraceSet(string tracesFolder, int experts, int vocabulary)
    {
        _folder = tracesFolder;
        var checkpoints = TraceLayout.Checkpoints(tracesFolder);
        if (checkpoints.Count == 0)
        {
            throw new InvalidDataException($"{tracesFolder}: no traces (expected actives/iter_NNNNNNN/layer_NN.parquet)");
        }

        if (!Directory.Exists(TraceLayout.SamplesFolder(tracesFolder)) || Directory.GetFiles(TraceLayout.SamplesFolder(tracesFolder), "*.parquet").Length == 0)
        {
            throw new InvalidDataException($"{tracesFolder}: no samples/*.parquet with the token ids");
        }

        Checkpoints = checkpoints.Select(c => new TracedCheckpoint(c.Name, c.Step)).ToList();
        Layers = TraceLayout.Layers(tracesFolder, Checkpoints[^1].Name);
        Experts = experts;
        Vocabulary = vocabulary;
        TopK = ReadTopK();
    }

    public IReadOnlyList<TracedCheckpoint> Checkpoints { get; }

    public IReadOnlyList<int> Layers { get; }

    public int Experts { get; }

    public int TopK { get; }

    public int Vocabulary { get; }

    public IEnumerable<RoutingBlock> Read(TracedCheckpoint checkpoint, int layer)
    {
        var file = TraceLayout.LayerFile(_folder, checkpoint.Name, layer);
        if (!File.Exists(file))
        {
            throw new InvalidDataException($"{file} is missing: every checkpoint must trace the same layers");
        }

        // A connection of its own: reads of two checkpoints may be walked side by side, and one
        // DuckDB connection streams one result at a time.
        using var connection = _connection.Duplicate();
        connection.Open();
        var batches = connection.Batches(
            $"SELECT s.token_id::INTEGER AS token_id, a.scores::FLOAT[] AS scores, a.indices::INTEGER[] AS indices "
            + $"FROM read_parquet({DuckDbSql.Literal(Path.Combine(TraceLayout.SamplesFolder(_folder), "*.parquet"))}) s POSITIONAL JOIN read_parquet({DuckDbSql.Literal(file)}) a");
        var block = new BlockBuilder(TopK);
        long row = 0;
        foreach (var batch in batches)
        {
            List<RoutingBlock> full;
            using (batch)
            {
                full = block.Add(batch, file, ref row);
            }

            foreach (var done in full)
            {
                yield return done;
            }
        }

        if (block.Rows > 0)
        {
            yield return block.Take();
        }
    }

    public void Dispose() => _connection.Dispose();

    /// <summary>Gathers rows of Arrow batches (whatever their size) into blocks of <see cref="BlockRows"/>.</summary>
    private sealed class BlockBuilder(int topK)
    {
        private readonly List<int> _ids = new(BlockRows);
        private readonly List<int> _indices = new(BlockRows * topK);
        private readonly List<float> _scores = new(BlockRows * topK);

        public int Rows => _ids.Count;

        public List<RoutingBlock> Add(RecordBatch batch, string file, ref long row)
        {
            var full = new List<RoutingBlock>();
            var tokenColumn = (Int32Array)batch.Column(0);
            var scoreColumn = (ListArray)batch.Column(1);
            var indexColumn = (ListArray)batch.Column(2);
            var tokens = tokenColumn.Values;
            var scores = ((FloatArray)scoreColumn.Values).Values;
            var indices = ((Int32Array)indexColumn.Values).Values;
            for (var r = 0; r < batch.Length; r++, row++)
            {
                if (tokenColumn.IsNull(r) || indexColumn.IsNull(r) || scoreColumn.IsNull(r))
                {
                    throw new InvalidDataException($"{file}: row {row} has no routing or no token (traces and samples must have the same number of rows)");
                }

                if (indexColumn.GetValueLength(r) != topK || scoreColumn.GetValueLength(r) != topK)
                {
                    throw new InvalidDataException($"{file}: row {row} routes to {indexColumn.GetValueLength(r)} experts with {scoreColumn.GetValueLength(r)} scores; the traces are top-{topK}");
                }

                _ids.Add(tokens[r]);
                foreach (var expert in indices.Slice(indexColumn.ValueOffsets[r], topK))
                {
                    _indices.Add(expert);
                }

                foreach (var score in scores.Slice(scoreColumn.ValueOffsets[r], topK))
                {
                    _scores.Add(score);
                }

                if (_ids.Count == BlockRows)
                {
                    full.Add(Take());
                }
            }

            return full;
        }

        public RoutingBlock Take()
        {
            var block = new RoutingBlock([.. _ids], [.. _indices], [.. _scores], topK);
            _ids.Clear();
            _indices.Clear();
            _scores.Clear();
            return block;
        }
    }

    private int ReadTopK()
    {
        var file = TraceLayout.LayerFile(_folder, Checkpoints[^1].Name, Layers[0]);
        using var reader = _connection.Query($"SELECT len(indices)::INTEGER FROM read_parquet({DuckDbSql.Literal(file)}) LIMIT 1");
        return reader.Read() ? reader.GetInt32(0) : throw new InvalidDataException($"{file} has no rows");
    }
}
