namespace Flame.Native.DuckDb;

/// <summary>Pieces of SQL text built from values (file paths in read_parquet, COPY ... TO).</summary>
public static class DuckDbSql
{
    /// <summary>A string literal: single-quoted, inner quotes doubled.</summary>
    public static string Literal(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";
}
