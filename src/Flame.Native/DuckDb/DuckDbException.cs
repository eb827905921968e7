namespace Flame.Native.DuckDb;

/// <summary>A DuckDB call failed; the message is DuckDB's own (parser, binder, I/O or constraint error).</summary>
public sealed class DuckDbException : Exception
{
    public DuckDbException(string message) : base(message)
    {
    }

    public DuckDbException(string message, Exception inner) : base(message, inner)
    {
    }
}
