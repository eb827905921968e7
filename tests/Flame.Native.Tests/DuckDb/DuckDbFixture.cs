using Flame.Native.DuckDb;

namespace Flame.Native.Tests.DuckDb;

/// <summary>An in-memory database and one connection, disposed together.</summary>
internal sealed class DuckDbFixture : IDisposable
{
    public DuckDbFixture()
    {
        Database = DuckDbDatabase.Open();
        Connection = Database.Connect();
    }

    public DuckDbDatabase Database { get; }

    public DuckDbConnection Connection { get; }

    /// <summary>All rows of a query, materialised through <paramref name="readRow"/> (chunk, row).</summary>
    public List<T> Rows<T>(string sql, Func<DuckDbChunk, int, T> readRow, params object?[] parameters)
    {
        using var reader = Connection.Query(sql, parameters);
        var rows = new List<T>();
        foreach (var chunk in reader.Chunks())
        {
            for (var row = 0; row < chunk.RowCount; row++)
            {
                rows.Add(readRow(chunk, row));
            }
        }

        return rows;
    }

    public void Dispose()
    {
        Connection.Dispose();
        Database.Dispose();
    }
}
