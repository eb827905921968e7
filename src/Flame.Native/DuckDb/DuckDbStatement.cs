using Flame.Native.Interop;

namespace Flame.Native.DuckDb;

/// <summary>
/// A prepared statement with positional parameters ($1, $2 or ?), bound from CLR values
/// (null, bool, integers, float, double, string, numeric arrays as LISTs). Reusable: each
/// <see cref="Query"/> or <see cref="Execute"/> rebinds all parameters.
/// </summary>
public sealed unsafe class DuckDbStatement : IDisposable
{
    private readonly DuckDbPreparedHandle _handle;

    internal DuckDbStatement(DuckDbPreparedHandle handle)
    {
        _handle = handle;
        ParameterCount = (int)DuckDbApi.Instance.ParameterCount(handle.DangerousGetHandle());
    }

    /// <summary>How many parameters the statement has.</summary>
    public int ParameterCount { get; }

    /// <summary>Runs the statement with <paramref name="parameters"/> and streams its result.</summary>
    /// <exception cref="ArgumentException">the number of values is not <see cref="ParameterCount"/>.</exception>
    /// <exception cref="DuckDbException">binding or execution failed; DuckDB's message.</exception>
    public DuckDbReader Query(params object?[] parameters) => Run(parameters, owner: null);

    /// <summary>Binds and starts the statement; the reader disposes <paramref name="owner"/> (this statement when it was a one-off).</summary>
    internal DuckDbReader Run(object?[] parameters, IDisposable? owner)
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        try
        {
            Bind(parameters);
        }
        catch
        {
            owner?.Dispose();
            throw;
        }

        var result = new DuckDbResultHandle();
        var state = DuckDbApi.Instance.ExecutePreparedStreaming(_handle.DangerousGetHandle(), result.Pointer);
        return DuckDbReader.FromResult(result, state, owner);
    }

    /// <summary>Runs the statement and drains its result (for INSERT/UPDATE/COPY and the like).</summary>
    /// <exception cref="DuckDbException">binding or execution failed; DuckDB's message.</exception>
    public void Execute(params object?[] parameters)
    {
        using var reader = Query(parameters);
        while (reader.ReadChunk() is { } chunk)
        {
            chunk.Dispose();
        }
    }

    public void Dispose() => _handle.Dispose();

    internal static DuckDbStatement Prepare(DuckDbConnectionHandle connection, string sql)
    {
        var api = DuckDbApi.Instance;
        nint prepared = 0;
        int state;
        fixed (byte* text = Utf8Z.Encode(sql))
        {
            state = api.Prepare(connection.DangerousGetHandle(), text, &prepared);
        }

        var handle = new DuckDbPreparedHandle(prepared);
        if (state != 0)
        {
            var message = Utf8Z.Decode(api.PrepareError(prepared), "DuckDB could not prepare the statement.");
            handle.Dispose();
            throw new DuckDbException(message);
        }

        return new DuckDbStatement(handle);
    }

    private void Bind(object?[] parameters)
    {
        if (parameters.Length != ParameterCount)
        {
            throw new ArgumentException($"the statement has {ParameterCount} parameters but {parameters.Length} values were given.", nameof(parameters));
        }

        var api = DuckDbApi.Instance;
        api.ClearBindings(_handle.DangerousGetHandle());
        for (var i = 0; i < parameters.Length; i++)
        {
            using var value = DuckDbValues.Create(parameters[i]);
            if (api.BindValue(_handle.DangerousGetHandle(), (ulong)(i + 1), value.DangerousGetHandle()) != 0)
            {
                var detail = Utf8Z.Decode(api.PrepareError(_handle.DangerousGetHandle()));
                throw new DuckDbException($"DuckDB could not bind parameter {i + 1} ({parameters[i]}){(detail.Length > 0 ? ": " + detail : ".")}");
            }
        }
    }
}
