using Flame.Native.DuckDb;
using Flame.Native.Tests.Support;

namespace Flame.Native.Tests.DuckDb;

[TestClass]
public sealed class DuckDbParquetTests
{
    [TestMethod]
    public void ParquetWrittenByDuckDbReadsBackThroughChunks()
    {
        using var folder = new TempFolder();
        var path = folder.File("layer_02.parquet");
        using var db = new DuckDbFixture();
        db.Connection.Execute(
            $"COPY (SELECT [1.0 / (i + 1), 0.2, 0.1, 0.05, 0.02, 0.01]::FLOAT[] AS scores, [i % 64, 1, 2, 3, 4, 5]::SMALLINT[] AS indices, i::INTEGER AS token_id "
            + $"FROM range(5000) t(i)) TO '{path}' (FORMAT PARQUET)");

        long rows = 0;
        using var reader = db.Connection.Query("SELECT scores, indices, token_id FROM read_parquet($1)", path);
        Assert.AreEqual(DuckDbType.Float, reader.Columns[0].ElementType);
        Assert.AreEqual(DuckDbType.SmallInt, reader.Columns[1].ElementType);
        foreach (var chunk in reader.Chunks())
        {
            var tokens = chunk.Column(2).Values<int>();
            for (var row = 0; row < chunk.RowCount; row++)
            {
                var token = tokens[row];
                Assert.AreEqual(token, rows);
                Assert.AreEqual(1f / (token + 1), chunk.Column(0).GetList<float>(row)[0], 1e-7f);
                Assert.AreEqual((short)(token % 64), chunk.Column(1).GetList<short>(row)[0]);
                rows++;
            }
        }

        Assert.AreEqual(5000L, rows);
    }

    [TestMethod]
    public void Float16ParquetReadsAsFloat()
    {
        // Made by parquet-wasm (arrow-rs) with the released traces' types: see Data/README.md.
        var path = Path.Combine(AppContext.BaseDirectory, "Data", "trace-float16.parquet");
        using var db = new DuckDbFixture();
        using var reader = db.Connection.Query("SELECT scores, indices, top_score FROM read_parquet($1)", path);

        Assert.AreEqual(new DuckDbColumn("scores", DuckDbType.List, DuckDbType.Float), reader.Columns[0]);
        Assert.AreEqual(new DuckDbColumn("indices", DuckDbType.List, DuckDbType.SmallInt), reader.Columns[1]);
        Assert.AreEqual(DuckDbType.Float, reader.Columns[2].Type);
        using var chunk = reader.ReadChunk()!;
        Assert.AreEqual(2, chunk.RowCount);
        CollectionAssert.AreEqual(new[] { 0.5f, 0.25f, 0.125f, 0.0625f, 0.03125f, 0.015625f }, chunk.Column(0).GetList<float>(0).ToArray());
        Assert.AreEqual(0.333251953125f, chunk.Column(0).GetList<float>(1)[0]);
        CollectionAssert.AreEqual(new short[] { 63, 0, 17, 5, 2, 40 }, chunk.Column(1).GetList<short>(0).ToArray());
        CollectionAssert.AreEqual(new[] { 0.5f, 0.333251953125f }, chunk.Column(2).Values<float>().ToArray());
    }
}
