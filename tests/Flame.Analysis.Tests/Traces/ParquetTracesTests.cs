using Flame.Analysis.Routing;
using Flame.Analysis.Traces;
using Flame.Native.DuckDb;

namespace Flame.Analysis.Tests.Traces;

[TestClass]
public sealed class ParquetTracesTests
{
    private string _traces = null!;

    [TestInitialize]
    public void CreateFolder() => _traces = Directory.CreateTempSubdirectory("flame-traces-").FullName;

    [TestCleanup]
    public void DeleteFolder() => Directory.Delete(_traces, recursive: true);

    // Row r routes to experts (r, r+1, r+2) mod 8 at every layer, shifted by the layer and checkpoint,
    // so a misaligned row anywhere shows up as a wrong expert.
    private static (int[] Indices, float[] Scores) Routing(int tokens, int layer, int checkpoint)
    {
        var indices = new int[tokens * 3];
        var scores = new float[tokens * 3];
        for (var r = 0; r < tokens; r++)
        {
            for (var j = 0; j < 3; j++)
            {
                indices[r * 3 + j] = (r + j + layer + checkpoint) % 8;
                scores[r * 3 + j] = 0.5f / (j + 1);
            }
        }

        return (indices, scores);
    }

    [TestMethod]
    public void WrittenTracesReadBackRowAlignedInBlocks()
    {
        const int tokens = 70_000; // more than one read block
        var tokenIds = Enumerable.Range(0, tokens).Select(i => i % 97).ToArray();
        var writer = new TraceWriter(_traces);
        writer.WriteSamples(tokenIds);
        foreach (var (checkpoint, c) in new[] { ("iter_0000010", 0), ("iter_0000020", 1) })
        {
            foreach (var layer in new[] { 2, 3 })
            {
                var (indices, scores) = Routing(tokens, layer, c);
                writer.WriteLayer(checkpoint, layer, indices, scores, topK: 3);
            }
        }

        Assert.IsTrue(File.Exists(Path.Combine(_traces, "actives", "iter_0000020", "layer_03.parquet")));
        using var set = new ParquetTraceSet(_traces, experts: 8, vocabulary: 97);
        CollectionAssert.AreEqual(new long[] { 10, 20 }, set.Checkpoints.Select(c => c.Step).ToArray());
        CollectionAssert.AreEqual(new[] { 2, 3 }, set.Layers.ToArray());
        Assert.AreEqual(3, set.TopK);

        var blocks = set.Read(set.Checkpoints[1], 3).ToList();
        Assert.AreEqual(ParquetTraceSet.BlockRows, blocks[0].TokenIds.Length);
        var ids = blocks.SelectMany(b => b.TokenIds).ToArray();
        var read = blocks.SelectMany(b => b.ExpertIndices).ToArray();
        CollectionAssert.AreEqual(tokenIds, ids);
        CollectionAssert.AreEqual(Routing(tokens, 3, 1).Indices, read);
        Assert.AreEqual(0.25f, blocks[0].Scores[1]);

        // The analyses agree with the same traces held in memory.
        var fromParquet = RoutingAnalysis.Run(set);
        var inMemory = RoutingAnalysis.Run(new InMemoryTraceSet(set.Checkpoints, set.Layers, 8, 3, 97, tokenIds,
            (checkpoint, layer) => Routing(tokens, layer, checkpoint.Step == 10 ? 0 : 1)));
        CollectionAssert.AreEqual(inMemory.Saturation.Select(s => s.Value).ToArray(), fromParquet.Saturation.Select(s => s.Value).ToArray());
        CollectionAssert.AreEqual(inMemory.Load[0].Fractions, fromParquet.Load[0].Fractions);
    }

    [TestMethod]
    public void ReadsTheReleasedLayoutWithFloat16ScoresAndInt16Indices()
    {
        // A file shaped like the original FLAME-MoE release (see tests/Flame.Native.Tests/Data/README.md).
        var released = Path.Combine(AppContext.BaseDirectory, "Data", "trace-float16.parquet");
        var checkpoint = Path.Combine(_traces, "actives", "iter_0002121");
        Directory.CreateDirectory(checkpoint);
        File.Copy(released, Path.Combine(checkpoint, "layer_02.parquet"));
        var writer = new TraceWriter(_traces);
        writer.WriteSamples(Enumerable.Range(0, RowsIn(released)).ToArray());

        using var set = new ParquetTraceSet(_traces, experts: 64, vocabulary: 50_304);
        var block = set.Read(set.Checkpoints.Single(), 2).Single();

        Assert.AreEqual(6, set.TopK);
        Assert.IsTrue(block.ExpertIndices.All(e => e is >= 0 and < 64));
        Assert.IsTrue(block.Scores.All(s => s is > 0 and < 1), "float16 scores arrive as floats");
        Assert.IsNotNull(RoutingAnalysis.Run(set));
    }

    [TestMethod]
    public void WritesExactlyTheReleasedTypesFloat16ScoresInt16IndicesInt32TokenIds()
    {
        var writer = new TraceWriter(_traces);
        writer.WriteSamples([7, 8, 9]);
        float[] scores = [0.5f, 0.3f, 0.2f, 0.9f, 0.1f, 0f, 65504f, 1e-3f, -2f];
        writer.WriteLayer("iter_0000001", 2, [63, 0, 17, 1, 2, 3, 4, 5, 6], scores, topK: 3);
        var layer = TraceLayout.LayerFile(_traces, "iter_0000001", 2);
        var samples = Path.Combine(TraceLayout.SamplesFolder(_traces), "samples.parquet");

        // The Parquet schema itself, as DuckDB reads it (DuckDB widens float16 when it reads values).
        using var connection = DuckDbConnections.Open();
        string Leaves(string file)
        {
            using var reader = connection.Query(
                "SELECT string_agg(name || ':' || type || coalesce('(' || type_length || ')', '') || ':' || coalesce(converted_type, '') || ':' || coalesce(logical_type, ''), ' ' ORDER BY rowid) "
                + "FROM (SELECT row_number() OVER () AS rowid, * FROM parquet_schema($1)) WHERE type IS NOT NULL", file);
            Assert.IsTrue(reader.Read());
            return reader.GetString(0);
        }

        StringAssert.StartsWith(Leaves(layer), "element:FIXED_LEN_BYTE_ARRAY(2)::Float16Type() element:INT32:INT_16:IntType(");
        StringAssert.StartsWith(Leaves(samples), "token_id:INT32:");
        Assert.IsFalse(Directory.EnumerateFiles(_traces, "*.partial", SearchOption.AllDirectories).Any(), "no half-written files");

        using var values = connection.Query("SELECT scores, indices FROM read_parquet($1)", layer);
        var rows = new List<(List<float> Scores, List<short> Indices)>();
        while (values.Read())
        {
            rows.Add((values.GetFieldValue<List<float>>(0), values.GetFieldValue<List<short>>(1)));
        }

        CollectionAssert.AreEqual(scores.Select(v => (float)(Half)v).ToArray(), rows.SelectMany(r => r.Scores).ToArray(), "each score rounded to float16, in order");
        CollectionAssert.AreEqual(new short[] { 63, 0, 17, 1, 2, 3, 4, 5, 6 }, rows.SelectMany(r => r.Indices).ToArray());
    }

    [TestMethod]
    public void AnAbandonedCheckpointLeavesNoFileBehind()
    {
        var writer = new TraceWriter(_traces);
        using (var traces = writer.BeginCheckpoint("iter_0000005", [2, 3], topK: 2))
        {
            traces.Append(2, [0, 1], [0.6f, 0.4f]);
        }

        Assert.AreEqual(0, Directory.GetFiles(TraceLayout.ActivesFolder(_traces, "iter_0000005")).Length);
    }

    private static int RowsIn(string parquet)
    {
        using var connection = DuckDbConnections.Open();
        using var reader = connection.Query($"SELECT count(*)::INTEGER FROM read_parquet('{parquet}')");
        Assert.IsTrue(reader.Read());
        return reader.GetInt32(0);
    }

    [TestMethod]
    public void AFolderWithoutTracesIsAClearError()
    {
        var error = Assert.ThrowsExactly<InvalidDataException>(() => new ParquetTraceSet(_traces, 8, 97));
        StringAssert.Contains(error.Message, "actives/iter_NNNNNNN/layer_NN.parquet");
    }
}
