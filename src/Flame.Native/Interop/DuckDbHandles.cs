using System.Runtime.InteropServices;

namespace Flame.Native.Interop;

/// <summary>
/// Base of the DuckDB SafeHandles: each owns one native object and destroys it through the
/// matching duckdb_destroy_* / duckdb_close / duckdb_disconnect, which take a pointer to the handle.
/// </summary>
internal abstract unsafe class DuckDbHandle : SafeHandle
{
    /// <summary>Takes ownership of <paramref name="native"/> (0 gives an invalid handle that releases nothing).</summary>
    protected DuckDbHandle(nint native) : base(0, ownsHandle: true) => SetHandle(native);

    public override bool IsInvalid => handle == 0;

    protected override bool ReleaseHandle()
    {
        var h = handle;
        Destroy(DuckDbApi.Instance, &h);
        return true;
    }

    protected abstract void Destroy(DuckDbApi api, nint* target);
}

/// <summary>duckdb_database.</summary>
internal sealed unsafe class DuckDbDatabaseHandle : DuckDbHandle
{
    public DuckDbDatabaseHandle(nint native) : base(native)
    {
    }

    protected override void Destroy(DuckDbApi api, nint* target) => api.Close(target);
}

/// <summary>duckdb_connection.</summary>
internal sealed unsafe class DuckDbConnectionHandle : DuckDbHandle
{
    public DuckDbConnectionHandle(nint native) : base(native)
    {
    }

    protected override void Destroy(DuckDbApi api, nint* target) => api.Disconnect(target);
}

/// <summary>duckdb_prepared_statement.</summary>
internal sealed unsafe class DuckDbPreparedHandle : DuckDbHandle
{
    public DuckDbPreparedHandle(nint native) : base(native)
    {
    }

    protected override void Destroy(DuckDbApi api, nint* target) => api.DestroyPrepare(target);
}

/// <summary>duckdb_data_chunk.</summary>
internal sealed unsafe class DuckDbChunkHandle : DuckDbHandle
{
    public DuckDbChunkHandle(nint native) : base(native)
    {
    }

    protected override void Destroy(DuckDbApi api, nint* target) => api.DestroyDataChunk(target);
}

/// <summary>duckdb_appender (destroying it flushes what is left).</summary>
internal sealed unsafe class DuckDbAppenderHandle : DuckDbHandle
{
    public DuckDbAppenderHandle(nint native) : base(native)
    {
    }

    protected override void Destroy(DuckDbApi api, nint* target) => api.AppenderDestroy(target);
}

/// <summary>duckdb_value (a parameter or a list being appended).</summary>
internal sealed unsafe class DuckDbValueHandle : DuckDbHandle
{
    public DuckDbValueHandle(nint native) : base(native)
    {
    }

    protected override void Destroy(DuckDbApi api, nint* target) => api.DestroyValue(target);
}

/// <summary>duckdb_logical_type.</summary>
internal sealed unsafe class DuckDbLogicalTypeHandle : DuckDbHandle
{
    public DuckDbLogicalTypeHandle(nint native) : base(native)
    {
    }

    protected override void Destroy(DuckDbApi api, nint* target) => api.DestroyLogicalType(target);
}

/// <summary>
/// duckdb_result: the struct lives in native memory this handle allocates, because DuckDB
/// fills it in place and later calls take it by pointer or by value; released with
/// duckdb_destroy_result (needed even after a failed query, which stores its error there).
/// </summary>
internal sealed unsafe class DuckDbResultHandle : SafeHandle
{
    public DuckDbResultHandle() : base(0, ownsHandle: true) =>
        SetHandle((nint)NativeMemory.AllocZeroed((nuint)sizeof(DuckDbResultStruct)));

    public override bool IsInvalid => handle == 0;

    public DuckDbResultStruct* Pointer => (DuckDbResultStruct*)handle;

    protected override bool ReleaseHandle()
    {
        DuckDbApi.Instance.DestroyResult((DuckDbResultStruct*)handle);
        NativeMemory.Free((void*)handle);
        return true;
    }
}
