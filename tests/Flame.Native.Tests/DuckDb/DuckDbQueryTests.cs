using Flame.Native.DuckDb;

namespace Flame.Native.Tests.DuckDb;

[TestClass]
public sealed class DuckDbQueryTests
{
    [TestMethod]
    public void LibraryIsDuckDb15()
    {
        StringAssert.StartsWith(DuckDbDatabase.LibraryVersion, "v1.5.");
        StringAssert.EndsWith(DuckDbDatabase.LibraryPath, "libduckdb.so");
    }

    [TestMethod]
    public void EveryFixedWidthTypeRoundTrips()
    {
        using var db = new DuckDbFixture();
        using var reader = db.Connection.Query(
            "SELECT true::BOOLEAN, -8::TINYINT, -16::SMALLINT, -32::INTEGER, -64::BIGINT, "
            + "200::UTINYINT, 60000::USMALLINT, 4000000000::UINTEGER, 18000000000000000000::UBIGINT, 1.5::FLOAT, 2.25::DOUBLE");
        using var chunk = reader.ReadChunk()!;

        Assert.AreEqual(1, chunk.RowCount);
        Assert.IsTrue(chunk.Column(0).Values<bool>()[0]);
        Assert.AreEqual((sbyte)-8, chunk.Column(1).Values<sbyte>()[0]);
        Assert.AreEqual((short)-16, chunk.Column(2).Values<short>()[0]);
        Assert.AreEqual(-32, chunk.Column(3).Values<int>()[0]);
        Assert.AreEqual(-64L, chunk.Column(4).Values<long>()[0]);
        Assert.AreEqual((byte)200, chunk.Column(5).Values<byte>()[0]);
        Assert.AreEqual((ushort)60000, chunk.Column(6).Values<ushort>()[0]);
        Assert.AreEqual(4000000000u, chunk.Column(7).Values<uint>()[0]);
        Assert.AreEqual(18000000000000000000ul, chunk.Column(8).Values<ulong>()[0]);
        Assert.AreEqual(1.5f, chunk.Column(9).Values<float>()[0]);
        Assert.AreEqual(2.25, chunk.Column(10).Values<double>()[0]);
        Assert.IsNull(reader.ReadChunk());
    }

    [TestMethod]
    public void StringsInlineLongUnicodeAndNull()
    {
        using var db = new DuckDbFixture();
        var longText = new string('x', 5000) + "é";
        var rows = db.Rows("SELECT * FROM (VALUES (1, 'short'), (2, $1), (3, 'twelve bytes'), (4, 'Grüße, 世界 🙂'), (5, NULL)) t(i, s) ORDER BY i",
            (chunk, row) => chunk.Column(1).GetString(row), longText);

        CollectionAssert.AreEqual(new[] { "short", longText, "twelve bytes", "Grüße, 世界 🙂", null }, rows);
    }

    [TestMethod]
    public void ColumnsReportNamesAndTypes()
    {
        using var db = new DuckDbFixture();
        using var reader = db.Connection.Query("SELECT 1::INTEGER AS a, 'x' AS b, [1.0::FLOAT] AS c");

        Assert.AreEqual(new DuckDbColumn("a", DuckDbType.Integer, null), reader.Columns[0]);
        Assert.AreEqual(new DuckDbColumn("b", DuckDbType.Varchar, null), reader.Columns[1]);
        Assert.AreEqual(new DuckDbColumn("c", DuckDbType.List, DuckDbType.Float), reader.Columns[2]);
        Assert.AreEqual(2, reader.ColumnIndex("C"));
        var missing = Assert.ThrowsExactly<ArgumentException>(() => reader.ColumnIndex("d"));
        StringAssert.Contains(missing.Message, "a, b, c");
    }

    [TestMethod]
    public void LargeResultsStreamInChunks()
    {
        using var db = new DuckDbFixture();
        using var reader = db.Connection.Query("SELECT i::BIGINT AS i, CASE WHEN i % 7 = 0 THEN NULL ELSE i END AS maybe FROM range(100000) t(i)");
        long sum = 0, rows = 0, nulls = 0, chunks = 0;
        foreach (var chunk in reader.Chunks())
        {
            chunks++;
            Assert.IsTrue(chunk.RowCount <= 2048);
            var values = chunk.Column(0).Values<long>();
            var maybe = chunk.Column(1);
            for (var row = 0; row < chunk.RowCount; row++)
            {
                sum += values[row];
                nulls += maybe.IsValid(row) ? 0 : 1;
                Assert.AreEqual(values[row] % 7 != 0, maybe.IsValid(row));
            }

            rows += chunk.RowCount;
        }

        Assert.AreEqual(100000L, rows);
        Assert.AreEqual(99999L * 100000 / 2, sum);
        Assert.AreEqual(14286L, nulls);
        Assert.IsTrue(chunks >= 49, $"expected many chunks, got {chunks}");
    }

    [TestMethod]
    public void PreparedStatementsRebindParameters()
    {
        using var db = new DuckDbFixture();
        db.Connection.Execute("CREATE TABLE t (id INTEGER, name VARCHAR, weight DOUBLE, flag BOOLEAN)");
        using (var insert = db.Connection.Prepare("INSERT INTO t VALUES ($1, $2, $3, $4)"))
        {
            Assert.AreEqual(4, insert.ParameterCount);
            insert.Execute(1, "one", 1.5, true);
            insert.Execute(2L, null, 2.5f, false);
        }

        var rows = db.Rows("SELECT id, name, weight, flag FROM t WHERE id >= ? ORDER BY id",
            (chunk, row) => (chunk.Column(0).Values<int>()[row], chunk.Column(1).GetString(row), chunk.Column(2).Values<double>()[row], chunk.Column(3).Values<bool>()[row]), 1);

        CollectionAssert.AreEqual(new[] { (1, (string?)"one", 1.5, true), (2, null, 2.5, false) }, rows);
    }

    [TestMethod]
    public void ExecuteReturnsRowsChangedAndRunsSeveralStatements()
    {
        using var db = new DuckDbFixture();
        db.Connection.Execute("CREATE TABLE t (i INTEGER); INSERT INTO t SELECT * FROM range(10)");

        Assert.AreEqual(4L, db.Connection.Execute("DELETE FROM t WHERE i < 4"));
    }

    [TestMethod]
    public void ReadingTheWrongTypeSaysWhatTheColumnIs()
    {
        using var db = new DuckDbFixture();
        using var reader = db.Connection.Query("SELECT 1::INTEGER AS n");
        using var chunk = reader.ReadChunk()!;

        var error = Assert.ThrowsExactly<InvalidOperationException>(() => chunk.Column(0).Values<long>().ToArray());
        StringAssert.Contains(error.Message, "'n' is Integer");
        Assert.ThrowsExactly<InvalidOperationException>(() => chunk.Column(0).GetString(0));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => chunk.Column(1));
    }
}
