using Flame.Native.DuckDb;

namespace Flame.Native.Tests.DuckDb;

[TestClass]
public sealed class DuckDbListTests
{
    [TestMethod]
    public void RoutingShapedListsReadBackPerRow()
    {
        using var db = new DuckDbFixture();
        var rows = db.Rows(
            "SELECT [0.5, 0.25, 0.125, 0.0625, 0.03125, i / 1000.0]::FLOAT[] AS scores, [63, 0, 17, 5, 2, i % 64]::INTEGER[] AS indices "
            + "FROM range(3000) t(i) ORDER BY i",
            (chunk, row) => (chunk.Column(0).GetList<float>(row).ToArray(), chunk.Column(1).GetList<int>(row).ToArray()));

        Assert.AreEqual(3000, rows.Count);
        CollectionAssert.AreEqual(new[] { 0.5f, 0.25f, 0.125f, 0.0625f, 0.03125f, 2.999f }, rows[2999].Item1);
        CollectionAssert.AreEqual(new[] { 63, 0, 17, 5, 2, 2999 % 64 }, rows[2999].Item2);
        Assert.IsTrue(rows.All(r => r.Item1.Length == 6 && r.Item2.Length == 6));
    }

    [TestMethod]
    public void NullListsAreInvalidAndNullElementsAreReported()
    {
        using var db = new DuckDbFixture();
        using var reader = db.Connection.Query("SELECT * FROM (VALUES (1, [1, 2]::SMALLINT[]), (2, NULL), (3, []::SMALLINT[]), (4, [1, NULL]::SMALLINT[])) t(i, l) ORDER BY i");
        using var chunk = reader.ReadChunk()!;
        var lists = chunk.Column(1);

        CollectionAssert.AreEqual(new short[] { 1, 2 }, lists.GetList<short>(0).ToArray());
        Assert.IsFalse(lists.IsValid(1));
        Assert.AreEqual(0, lists.GetList<short>(1).Length);
        Assert.IsTrue(lists.IsValid(2));
        Assert.AreEqual(0, lists.GetList<short>(2).Length);
        var error = Assert.ThrowsExactly<InvalidOperationException>(() => lists.GetList<short>(3).ToArray());
        StringAssert.Contains(error.Message, "NULL element at position 1");
    }

    [TestMethod]
    public void ListElementTypeMustMatch()
    {
        using var db = new DuckDbFixture();
        using var reader = db.Connection.Query("SELECT [1.0, 2.0]::DOUBLE[] AS d");
        using var chunk = reader.ReadChunk()!;

        var error = Assert.ThrowsExactly<InvalidOperationException>(() => chunk.Column(0).GetList<float>(0).ToArray());
        StringAssert.Contains(error.Message, "List(Double)");
        CollectionAssert.AreEqual(new[] { 1.0, 2.0 }, chunk.Column(0).GetList<double>(0).ToArray());
    }

    [TestMethod]
    public void AppenderWritesScalarsAndLists()
    {
        using var db = new DuckDbFixture();
        db.Connection.Execute("CREATE TABLE trace (token INTEGER, scores FLOAT[], indices SMALLINT[], note VARCHAR)");
        using (var appender = db.Connection.CreateAppender("trace"))
        {
            Assert.AreEqual(4, appender.ColumnCount);
            for (var token = 0; token < 100; token++)
            {
                appender.AppendRow(token, new[] { 0.5f, 0.25f, 0.125f, 0.0625f, 0.03125f, token }, new short[] { 63, 0, 17, 5, 2, (short)token }, token == 7 ? null : $"t{token}");
            }

            appender.Close();
        }

        var rows = db.Rows("SELECT token, scores, indices, note FROM trace ORDER BY token",
            (chunk, row) => (chunk.Column(1).GetList<float>(row)[5], chunk.Column(2).GetList<short>(row)[5], chunk.Column(3).GetString(row)));

        Assert.AreEqual(100, rows.Count);
        Assert.AreEqual((42f, (short)42, (string?)"t42"), rows[42]);
        Assert.IsNull(rows[7].Item3);
    }

    [TestMethod]
    public void AppenderErrorsCarryDuckDbsMessage()
    {
        using var db = new DuckDbFixture();
        db.Connection.Execute("CREATE TABLE t (i INTEGER, s VARCHAR)");

        var missing = Assert.ThrowsExactly<DuckDbException>(() => db.Connection.CreateAppender("nope"));
        StringAssert.Contains(missing.Message, "nope");

        using var appender = db.Connection.CreateAppender("t");
        appender.Append(1);
        var incomplete = Assert.ThrowsExactly<DuckDbException>(appender.EndRow);
        StringAssert.Contains(incomplete.Message, "table t");
        Assert.IsGreaterThan(20, incomplete.Message.Length);
    }
}
