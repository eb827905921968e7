using Flame.Native.DuckDb;
using Flame.Native.Tests.Support;

namespace Flame.Native.Tests.DuckDb;

[TestClass]
public sealed class DuckDbAppendChunkTests
{
    [TestMethod]
    public void ChunksOfFixedWidthListsBecomeRoutingTraceRows()
    {
        const int Tokens = 5000, TopK = 6;
        using var folder = new TempFolder();
        using var db = new DuckDbFixture();
        db.Connection.Execute("CREATE TABLE trace (token_id INTEGER, scores FLOAT[], indices SMALLINT[], note VARCHAR)");
        using (var appender = db.Connection.CreateAppender("trace"))
        using (var chunk = appender.CreateChunk())
        {
            Assert.AreEqual(2048, chunk.Capacity);
            Assert.AreEqual(new DuckDbColumn("column1", DuckDbType.List, DuckDbType.Float), chunk.Columns[1]);
            for (var start = 0; start < Tokens; start += chunk.Capacity)
            {
                var rows = Math.Min(chunk.Capacity, Tokens - start);
                var tokenIds = chunk.Values<int>(0);
                var scores = chunk.FixedLists<float>(1, TopK);
                var indices = chunk.FixedLists<short>(2, TopK);
                for (var row = 0; row < rows; row++)
                {
                    var token = start + row;
                    tokenIds[row] = token;
                    for (var k = 0; k < TopK; k++)
                    {
                        scores[row * TopK + k] = 1f / (k + 1);
                        indices[row * TopK + k] = (short)((token + k) % 64);
                    }

                    if (token % 1000 == 0)
                    {
                        chunk.SetString(3, row, $"token {token}");
                    }
                    else
                    {
                        chunk.SetNull(3, row);
                    }
                }

                chunk.RowCount = rows;
                appender.AppendChunk(chunk);
                Assert.AreEqual(0, chunk.RowCount);
            }

            appender.Close();
        }

        var path = folder.File("layer_02.parquet");
        db.Connection.Execute($"COPY (SELECT * FROM trace ORDER BY token_id) TO '{path}' (FORMAT PARQUET)");
        var summary = db.Rows(
            "SELECT count(*), sum(token_id)::BIGINT, sum(list_sum(indices))::BIGINT, min(len(scores)), max(len(indices)), sum(scores[2])::DOUBLE, count(note), max(note) FROM read_parquet($1)",
            (c, r) => (c.Column(0).Values<long>()[r], c.Column(1).Values<long>()[r], c.Column(2).Values<long>()[r], c.Column(3).Values<long>()[r],
                c.Column(4).Values<long>()[r], c.Column(5).Values<double>()[r], c.Column(6).Values<long>()[r], c.Column(7).GetString(r)), path).Single();

        var indexSum = Enumerable.Range(0, Tokens).Sum(t => Enumerable.Range(0, TopK).Sum(k => (long)((t + k) % 64)));
        Assert.AreEqual((5000L, 4999L * 5000 / 2, indexSum, 6L, 6L, 2500.0, 5L, (string?)"token 4000"), summary);
    }

    [TestMethod]
    public void WrongColumnTypesAreRefused()
    {
        using var db = new DuckDbFixture();
        db.Connection.Execute("CREATE TABLE t (i INTEGER, l DOUBLE[])");
        using var appender = db.Connection.CreateAppender("t");
        using var chunk = appender.CreateChunk();

        StringAssert.Contains(Assert.ThrowsExactly<InvalidOperationException>(() => chunk.Values<long>(0).Length).Message, "column 0 of the table is Integer");
        StringAssert.Contains(Assert.ThrowsExactly<InvalidOperationException>(() => chunk.FixedLists<float>(1, 6).Length).Message, "List(Double)");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => chunk.RowCount = 4096);
    }
}
