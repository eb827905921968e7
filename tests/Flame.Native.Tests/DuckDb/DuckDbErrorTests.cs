using Flame.Native.DuckDb;
using Flame.Native.Interop;
using Flame.Native.Tests.Support;

namespace Flame.Native.Tests.DuckDb;

[TestClass]
public sealed class DuckDbErrorTests
{
    [TestMethod]
    public void BadSqlCarriesDuckDbsParserMessage()
    {
        using var db = new DuckDbFixture();

        var query = Assert.ThrowsExactly<DuckDbException>(() => db.Connection.Query("SELEC 1"));
        StringAssert.Contains(query.Message, "syntax error");
        var execute = Assert.ThrowsExactly<DuckDbException>(() => db.Connection.Execute("SELECT * FROM no_such_table"));
        StringAssert.Contains(execute.Message, "no_such_table");
    }

    [TestMethod]
    public void MissingParquetFileIsNamed()
    {
        using var db = new DuckDbFixture();

        var error = Assert.ThrowsExactly<DuckDbException>(() => db.Connection.Query("SELECT * FROM read_parquet('/no/such/file.parquet')"));
        StringAssert.Contains(error.Message, "/no/such/file.parquet");
    }

    [TestMethod]
    public void CorruptParquetFailsWithAMessage()
    {
        using var folder = new TempFolder();
        var path = folder.File("bad.parquet");
        File.WriteAllText(path, "this is not parquet at all, just text long enough to have a footer");
        using var db = new DuckDbFixture();

        var error = Assert.ThrowsExactly<DuckDbException>(() =>
        {
            using var reader = db.Connection.Query("SELECT * FROM read_parquet($1)", path);
            while (reader.ReadChunk() is { } chunk)
            {
                chunk.Dispose();
            }
        });
        StringAssert.Contains(error.Message, path);
    }

    [TestMethod]
    public void WrongParameterCountIsAnArgumentError()
    {
        using var db = new DuckDbFixture();
        using var statement = db.Connection.Prepare("SELECT $1 + $2");

        Assert.ThrowsExactly<ArgumentException>(() => statement.Query(1));
        Assert.ThrowsExactly<NotSupportedException>(() => statement.Query(1, DateTime.Now));
    }

    [TestMethod]
    public void InvalidSettingAndUnopenableFileAreReported()
    {
        var setting = Assert.ThrowsExactly<DuckDbException>(() => DuckDbDatabase.Open(settings: new Dictionary<string, string> { ["no_such_setting"] = "1" }));
        StringAssert.Contains(setting.Message, "no_such_setting");
        var file = Assert.ThrowsExactly<DuckDbException>(() => DuckDbDatabase.Open("/no/such/folder/x.duckdb"));
        StringAssert.Contains(file.Message, "/no/such/folder/x.duckdb");
    }

    [TestMethod]
    public void MissingLibraryNamesEveryPathTried()
    {
        var error = Assert.ThrowsExactly<DllNotFoundException>(() => NativeLibraryLoader.FromFolders(DuckDbApi.FileName, ["/nowhere/a", "/nowhere/b"], "Build again."));

        StringAssert.Contains(error.Message, "/nowhere/a/libduckdb.so or /nowhere/b/libduckdb.so");
        StringAssert.Contains(error.Message, "Build again.");
    }

    [TestMethod]
    public void DuckDbDirectoryVariableIsSearchedFirst()
    {
        var before = Environment.GetEnvironmentVariable("FLAME_DUCKDB_DIR");
        try
        {
            Environment.SetEnvironmentVariable("FLAME_DUCKDB_DIR", "/opt/duckdb");
            CollectionAssert.AreEqual(new[] { "/opt/duckdb", AppContext.BaseDirectory }, DuckDbApi.SearchFolders().ToArray());
        }
        finally
        {
            Environment.SetEnvironmentVariable("FLAME_DUCKDB_DIR", before);
        }
    }

    [TestMethod]
    public void MissingSystemLibraryCarriesTheHint()
    {
        var error = Assert.ThrowsExactly<DllNotFoundException>(() => NativeLibraryLoader.FromSystem("libno-such-library.so.9", "Install it with apt-get."));

        StringAssert.Contains(error.Message, "libno-such-library.so.9");
        StringAssert.Contains(error.Message, "Install it with apt-get.");
    }

    [TestMethod]
    public void ChunksAreDisposedAsTheEnumerationMovesOn()
    {
        using var db = new DuckDbFixture();
        using var reader = db.Connection.Query("SELECT * FROM range(5000)");
        var seen = reader.Chunks().ToList();

        Assert.IsGreaterThan(1, seen.Count);
        Assert.ThrowsExactly<ObjectDisposedException>(() => seen[0].Column(0));
    }

    [TestMethod]
    public void DisposedObjectsRefuseUse()
    {
        var db = new DuckDbFixture();
        using var reader = db.Connection.Query("SELECT 1");
        var chunk = reader.ReadChunk()!;
        chunk.Dispose();
        db.Dispose();

        Assert.ThrowsExactly<ObjectDisposedException>(() => chunk.Column(0));
        Assert.ThrowsExactly<ObjectDisposedException>(() => db.Connection.Execute("SELECT 1"));
        Assert.ThrowsExactly<ObjectDisposedException>(() => db.Database.Connect());
    }
}
