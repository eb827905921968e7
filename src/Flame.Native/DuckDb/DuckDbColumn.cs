namespace Flame.Native.DuckDb;

/// <summary>One result column.</summary>
/// <param name="Name">The column name as DuckDB reports it.</param>
/// <param name="Type">Its type id.</param>
/// <param name="ElementType">For a LIST column, the element type id; otherwise null.</param>
public sealed record DuckDbColumn(string Name, DuckDbType Type, DuckDbType? ElementType);
