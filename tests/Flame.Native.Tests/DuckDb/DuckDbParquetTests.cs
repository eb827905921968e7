using DuckDB.NET.Data;
using Flame.Native.DuckDb;
using Flame.Native.Tests.Support;

namespace Flame.Native.Tests.DuckDb;

/// <summary>What the platform relies on DuckDB (through DuckDB.NET) for: Parquet and lists in bulk, the original's float16 traces, clear errors, no downloads.</summary>
[TestClass]
public sealed class DuckDbParquetTests
{
    [TestMethod]
    public void ParquetListsStreamBackAsArrowBatchesInFileOrder()
    {
        using var folder = new TempFolder();
        var path = folder.File("layer_02.parquet");
        using var connection = DuckDbConnections.Open();
        connection.Execute(
            $"COPY (SELECT [1.0 / (i + 1), 0.2, 0.1, 0.05, 0.02, 0.01]::FLOAT[] AS scores, [i % 64, 1, 2, 3, 4, 5]::SMALLINT[] AS indices, i::INTEGER AS token_id "
            + $"FROM range(5000) t(i)) TO {DuckDbSql.Literal(path)} (FORMAT PARQUET)");

        long rows = 0;
        foreach (var batch in connection.Batches("SELECT scores, indices::INTEGER[], token_id FROM read_parquet($1)", path))
        {
            using (batch)
            {
                var scores = (Apache.Arrow.ListArray)batch.Column(0);
                var indices = (Apache.Arrow.ListArray)batch.Column(1);
                var tokens = ((Apache.Arrow.Int32Array)batch.Column(2)).Values;
                for (var row = 0; row < batch.Length; row++, rows++)
                {
                    Assert.AreEqual(rows, tokens[row]);
                    Assert.AreEqual(6, scores.GetValueLength(row));
                    Assert.AreEqual(1f / (rows + 1), ((Apache.Arrow.FloatArray)scores.Values).Values[scores.ValueOffsets[row]], 1e-7f);
                    Assert.AreEqual((int)(rows % 64), ((Apache.Arrow.Int32Array)indices.Values).Values[indices.ValueOffsets[row]]);
                }
            }
        }

        Assert.AreEqual(5000L, rows);
    }

    [TestMethod]
    public void Float16ParquetReadsAsFloat()
    {
        // Made by parquet-wasm (arrow-rs) with the released traces' types: see Data/README.md.
        var path = Path.Combine(AppContext.BaseDirectory, "Data", "trace-float16.parquet");
        using var connection = DuckDbConnections.Open();
        using var reader = connection.Query("SELECT scores, indices, top_score FROM read_parquet($1)", path);

        Assert.AreEqual("List", reader.GetDataTypeName(0));
        Assert.AreEqual(typeof(List<float>), reader.GetFieldType(0), "float16 widens to FLOAT");
        Assert.AreEqual(typeof(List<short>), reader.GetFieldType(1));
        Assert.AreEqual(typeof(float), reader.GetFieldType(2));
        Assert.IsTrue(reader.Read());
        CollectionAssert.AreEqual(new[] { 0.5f, 0.25f, 0.125f, 0.0625f, 0.03125f, 0.015625f }, reader.GetFieldValue<List<float>>(0));
        CollectionAssert.AreEqual(new short[] { 63, 0, 17, 5, 2, 40 }, reader.GetFieldValue<List<short>>(1));
        Assert.AreEqual(0.5f, reader.GetFloat(2));
        Assert.IsTrue(reader.Read());
        Assert.AreEqual(0.333251953125f, reader.GetFieldValue<List<float>>(0)[0]);
        Assert.AreEqual(0.333251953125f, reader.GetFloat(2));
        Assert.IsFalse(reader.Read());
    }

    [TestMethod]
    public void ErrorsCarryDuckDbsReasonOnItsFirstLine()
    {
        using var folder = new TempFolder();
        var notParquet = folder.File("notes.parquet");
        File.WriteAllText(notParquet, "plain text");
        using var connection = DuckDbConnections.Open();

        var error = Assert.ThrowsExactly<DuckDBException>(() => connection.Query("SELECT * FROM read_parquet($1)", notParquet).Read());

        StringAssert.Contains(DuckDbConnections.Reason(error), "notes.parquet");
        Assert.IsFalse(DuckDbConnections.Reason(error).Contains('\n'));
    }

    [TestMethod]
    public void ExtensionsAreNeverInstalledFromTheNetwork()
    {
        using var connection = DuckDbConnections.Open();
        using var reader = connection.Query("SELECT current_setting('autoinstall_known_extensions')::BOOLEAN, (SELECT count(*) FROM duckdb_extensions() WHERE extension_name = 'parquet' AND loaded)");
        Assert.IsTrue(reader.Read());
        Assert.IsFalse(reader.GetBoolean(0), "autoinstall is off");
        Assert.AreEqual(1L, reader.GetInt64(1), "Parquet is built into the library");
    }

    [TestMethod]
    public void ResultsStreamInsteadOfBeingMaterialised()
    {
        // 400M rows are 3.2 GB materialised; streamed, the first rows cost a few chunks.
        using var connection = DuckDbConnections.Open();
        var before = ResidentBytes();
        using var reader = connection.Query("SELECT range * 2 AS x FROM range(400000000)");
        for (var i = 0; i < 10_000; i++)
        {
            Assert.IsTrue(reader.Read());
            Assert.AreEqual(2L * i, reader.GetInt64(0));
        }

        var grown = ResidentBytes() - before;
        Assert.IsLessThan(512L << 20, grown, $"the process grew by {grown >> 20} MiB: the result was materialised");
    }

    private static long ResidentBytes() =>
        long.Parse(File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;

    [TestMethod]
    public void AFileDatabaseIsCreatedWhereAsked()
    {
        using var folder = new TempFolder();
        var path = folder.File("stage.duckdb");
        using (var connection = DuckDbConnections.Open(path, memoryLimit: "256MB"))
        {
            connection.Execute("CREATE TABLE t AS SELECT 1 AS x");
        }

        Assert.IsTrue(File.Exists(path));
        using var reopened = DuckDbConnections.Open(path);
        using var reader = reopened.Query("SELECT x FROM t");
        Assert.IsTrue(reader.Read());
        Assert.AreEqual(1, reader.GetInt32(0));
    }
}
