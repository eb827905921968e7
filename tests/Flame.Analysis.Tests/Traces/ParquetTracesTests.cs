using Flame.Analysis.Routing;
using Flame.Analysis.Traces;

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
        using (var writer = new TraceWriter(_traces))
        {
            writer.WriteSamples(tokenIds);
            foreach (var (checkpoint, c) in new[] { ("iter_0000010", 0), ("iter_0000020", 1) })
            {
                foreach (var layer in new[] { 2, 3 })
                {
                    var (indices, scores) = Routing(tokens, layer, c);
                    writer.WriteLayer(checkpoint, layer, indices, scores, topK: 3);
                }
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
        using (var writer = new TraceWriter(_traces))
        {
            writer.WriteSamples(Enumerable.Range(0, RowsIn(released)).ToArray());
        }

        using var set = new ParquetTraceSet(_traces, experts: 64, vocabulary: 50_304);
        var block = set.Read(set.Checkpoints.Single(), 2).Single();

        Assert.AreEqual(6, set.TopK);
        Assert.IsTrue(block.ExpertIndices.All(e => e is >= 0 and < 64));
        Assert.IsTrue(block.Scores.All(s => s is > 0 and < 1), "float16 scores arrive as floats");
        Assert.IsNotNull(RoutingAnalysis.Run(set));
    }

    private static int RowsIn(string parquet)
    {
        using var database = Flame.Native.DuckDb.DuckDbDatabase.Open();
        using var connection = database.Connect();
        using var reader = connection.Query($"SELECT count(*)::INTEGER FROM read_parquet('{parquet}')");
        using var chunk = reader.ReadChunk()!;
        return chunk.Column(0).Values<int>()[0];
    }

    [TestMethod]
    public void AFolderWithoutTracesIsAClearError()
    {
        var error = Assert.ThrowsExactly<InvalidDataException>(() => new ParquetTraceSet(_traces, 8, 97));
        StringAssert.Contains(error.Message, "actives/iter_NNNNNNN/layer_NN.parquet");
    }
}
