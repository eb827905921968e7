using Flame.Analysis.Routing;
using Flame.Native.DuckDb;

namespace Flame.Analysis.Traces;

/// <summary>
/// Routing traces read from Parquet in the released layout — ours, or the original FLAME-MoE
/// release (float16 scores and int16 indices, which DuckDB reads as FLOAT and SMALLINT).
/// Each layer file is joined row by row with the samples (POSITIONAL JOIN) and streamed in
/// blocks of fixed size, so memory stays bounded and block boundaries agree across checkpoints.
/// </summary>
public sealed class ParquetTraceSet : IRoutingTraceSet, IDisposable
{
    public const int BlockRows = 65_536;

    private readonly DuckDbDatabase _database = DuckDbDatabase.Open();
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

        using var connection = _database.Connect();
        using var reader = connection.Query(
            $"SELECT s.token_id::INTEGER AS token_id, a.scores::FLOAT[] AS scores, a.indices::INTEGER[] AS indices "
            + $"FROM read_parquet({DuckDbSql.Literal(Path.Combine(TraceLayout.SamplesFolder(_folder), "*.parquet"))}) s POSITIONAL JOIN read_parquet({DuckDbSql.Literal(file)}) a");
        var block = new BlockBuilder(TopK);
        long row = 0;
        foreach (var chunk in reader.Chunks())
        {
            List<RoutingBlock> full;
            using (chunk)
            {
                full = block.Add(chunk, file, ref row);
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

    public void Dispose() => _database.Dispose();

    /// <summary>Gathers rows of DuckDB chunks (whatever their size) into blocks of <see cref="BlockRows"/>.</summary>
    private sealed class BlockBuilder(int topK)
    {
        private readonly List<int> _ids = new(BlockRows);
        private readonly List<int> _indices = new(BlockRows * topK);
        private readonly List<float> _scores = new(BlockRows * topK);

        public int Rows => _ids.Count;

        public List<RoutingBlock> Add(DuckDbChunk chunk, string file, ref long row)
        {
            var full = new List<RoutingBlock>();
            var tokenColumn = chunk.Column(0);
            var scoreColumn = chunk.Column(1);
            var indexColumn = chunk.Column(2);
            var tokens = tokenColumn.Values<int>();
            for (var r = 0; r < chunk.RowCount; r++, row++)
            {
                if (!tokenColumn.IsValid(r) || !indexColumn.IsValid(r))
                {
                    throw new InvalidDataException($"{file}: row {row} has no routing or no token (traces and samples must have the same number of rows)");
                }

                var rowIndices = indexColumn.GetList<int>(r);
                if (rowIndices.Length != topK)
                {
                    throw new InvalidDataException($"{file}: row {row} routes to {rowIndices.Length} experts; the traces are top-{topK}");
                }

                _ids.Add(tokens[r]);
                foreach (var expert in rowIndices)
                {
                    _indices.Add(expert);
                }

                _scores.AddRange(scoreColumn.GetList<float>(r));
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
        using var connection = _database.Connect();
        using var reader = connection.Query($"SELECT len(indices)::INTEGER FROM read_parquet({DuckDbSql.Literal(file)}) LIMIT 1");
        using var chunk = reader.ReadChunk() ?? throw new InvalidDataException($"{file} has no rows");
        return chunk.Column(0).Values<int>()[0];
    }

}
