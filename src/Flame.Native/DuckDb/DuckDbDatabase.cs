using Flame.Native.Interop;

namespace Flame.Native.DuckDb;

/// <summary>
/// A DuckDB database: in memory, or a database file. Connections made from it stay usable
/// until they are disposed (DuckDB keeps the instance alive while a connection holds it).
/// </summary>
public sealed unsafe class DuckDbDatabase : IDisposable
{
    private readonly DuckDbDatabaseHandle _handle;

    private DuckDbDatabase(DuckDbDatabaseHandle handle, string path)
    {
        _handle = handle;
        Path = path;
    }

    /// <summary>The database file, or ":memory:".</summary>
    public string Path { get; }

    /// <summary>The DuckDB library version ("v1.5.6").</summary>
    /// <exception cref="DllNotFoundException">libduckdb.so is missing; the message names the paths tried.</exception>
    public static string LibraryVersion => Utf8Z.Decode(DuckDbApi.Instance.LibraryVersion(), "unknown");

    /// <summary>Where libduckdb.so was loaded from.</summary>
    public static string LibraryPath => DuckDbApi.Instance.LibraryPath;

    /// <summary>Opens (or creates) a database; null or ":memory:" gives an in-memory one.</summary>
    /// <param name="path">The database file, or null for memory.</param>
    /// <param name="settings">DuckDB settings applied at open (e.g. threads, memory_limit).</param>
    /// <exception cref="DuckDbException">DuckDB refused a setting or could not open the file; DuckDB's message.</exception>
    /// <exception cref="DllNotFoundException">libduckdb.so is missing; the message names the paths tried.</exception>
    public static DuckDbDatabase Open(string? path = null, IReadOnlyDictionary<string, string>? settings = null)
    {
        var api = DuckDbApi.Instance;
        path ??= ":memory:";
        nint config = 0;
        if (api.CreateConfig(&config) != 0)
        {
            throw new DuckDbException("DuckDB could not create a configuration object.");
        }

        try
        {
            foreach (var (name, value) in settings ?? new Dictionary<string, string>())
            {
                fixed (byte* n = Utf8Z.Encode(name), v = Utf8Z.Encode(value))
                {
                    if (api.SetConfig(config, n, v) != 0)
                    {
                        throw new DuckDbException($"DuckDB does not accept the setting {name} = '{value}'.");
                    }
                }
            }

            nint database = 0;
            nint error = 0;
            int state;
            fixed (byte* p = Utf8Z.Encode(path))
            {
                state = api.OpenExt(p, &database, config, &error);
            }

            if (state != 0)
            {
                var message = Utf8Z.Decode(error, "unknown error");
                api.Free(error);
                throw new DuckDbException($"DuckDB could not open {path}: {message}");
            }

            return new DuckDbDatabase(new DuckDbDatabaseHandle(database), path);
        }
        finally
        {
            api.DestroyConfig(&config);
        }
    }

    /// <summary>A new connection; each thread should use its own.</summary>
    /// <exception cref="DuckDbException">DuckDB could not connect (the database is closed).</exception>
    public DuckDbConnection Connect()
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        nint connection = 0;
        if (DuckDbApi.Instance.Connect(_handle.DangerousGetHandle(), &connection) != 0)
        {
            throw new DuckDbException($"DuckDB could not connect to {Path}.");
        }

        return new DuckDbConnection(new DuckDbConnectionHandle(connection));
    }

    public void Dispose() => _handle.Dispose();
}
