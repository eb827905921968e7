namespace Flame.Native.Interop;

/// <summary>
/// The DuckDB C API functions we call (duckdb.h of DuckDB 1.5), resolved once from
/// libduckdb.so. Opaque handles are <c>nint</c>, idx_t is <c>ulong</c>, C bool is <c>byte</c>,
/// duckdb_state is <c>int</c> (0 = success). Nothing else in the assembly touches the library.
/// </summary>
internal sealed unsafe class DuckDbApi
{
    public const string FileName = "libduckdb.so";
    public const string ExpectedVersion = "v1.5";

    private static readonly Lazy<DuckDbApi> Loaded = new(() => new DuckDbApi(NativeLibraryLoader.FromFolders(FileName, SearchFolders(),
        "The build copies it next to the assemblies from the npm package @duckdb/node-bindings-linux-x64@1.5.6-r.1 "
        + "(a project that references Flame.Native gets it): build again (it needs npm), or point FLAME_DUCKDB_DIR at a folder holding it.")));

    /// <summary>The loaded API; the first use loads the library.</summary>
    /// <exception cref="DllNotFoundException">libduckdb.so is missing or cannot be loaded; the message names the paths tried.</exception>
    public static DuckDbApi Instance => Loaded.Value;

    /// <summary>$FLAME_DUCKDB_DIR when set, then the folder of our assemblies.</summary>
    public static IReadOnlyList<string> SearchFolders()
    {
        var folders = new List<string>();
        if (Environment.GetEnvironmentVariable("FLAME_DUCKDB_DIR") is { Length: > 0 } configured)
        {
            folders.Add(configured);
        }

        folders.Add(AppContext.BaseDirectory);
        return folders;
    }

    public string LibraryPath { get; }

    // Database and connection.
    public readonly delegate* unmanaged<nint> LibraryVersion;
    public readonly delegate* unmanaged<nint*, int> CreateConfig;
    public readonly delegate* unmanaged<nint, byte*, byte*, int> SetConfig;
    public readonly delegate* unmanaged<nint*, void> DestroyConfig;
    public readonly delegate* unmanaged<byte*, nint*, nint, nint*, int> OpenExt;
    public readonly delegate* unmanaged<nint*, void> Close;
    public readonly delegate* unmanaged<nint, nint*, int> Connect;
    public readonly delegate* unmanaged<nint*, void> Disconnect;
    public readonly delegate* unmanaged<nint, void> Free;

    // Results.
    public readonly delegate* unmanaged<nint, byte*, DuckDbResultStruct*, int> Query;
    public readonly delegate* unmanaged<DuckDbResultStruct*, void> DestroyResult;
    public readonly delegate* unmanaged<DuckDbResultStruct*, nint> ResultError;
    public readonly delegate* unmanaged<DuckDbResultStruct*, ulong> ColumnCount;
    public readonly delegate* unmanaged<DuckDbResultStruct*, ulong, nint> ColumnName;
    public readonly delegate* unmanaged<DuckDbResultStruct*, ulong, nint> ColumnLogicalType;
    public readonly delegate* unmanaged<DuckDbResultStruct*, ulong> RowsChanged;
    public readonly delegate* unmanaged<DuckDbResultStruct, nint> FetchChunk;

    // Logical types.
    public readonly delegate* unmanaged<nint, int> GetTypeId;
    public readonly delegate* unmanaged<nint, nint> ListTypeChildType;
    public readonly delegate* unmanaged<nint*, void> DestroyLogicalType;
    public readonly delegate* unmanaged<int, nint> CreateLogicalType;

    // Data chunks and vectors.
    public readonly delegate* unmanaged<nint*, void> DestroyDataChunk;
    public readonly delegate* unmanaged<nint, ulong> DataChunkGetColumnCount;
    public readonly delegate* unmanaged<nint, ulong> DataChunkGetSize;
    public readonly delegate* unmanaged<nint, ulong, nint> DataChunkGetVector;
    public readonly delegate* unmanaged<nint, nint> VectorGetColumnType;
    public readonly delegate* unmanaged<nint, void*> VectorGetData;
    public readonly delegate* unmanaged<nint, ulong*> VectorGetValidity;
    public readonly delegate* unmanaged<nint, nint> ListVectorGetChild;
    public readonly delegate* unmanaged<nint, ulong> ListVectorGetSize;
    public readonly delegate* unmanaged<ulong> VectorSize;
    public readonly delegate* unmanaged<nint*, ulong, nint> CreateDataChunk;
    public readonly delegate* unmanaged<nint, ulong, void> DataChunkSetSize;
    public readonly delegate* unmanaged<nint, void> DataChunkReset;
    public readonly delegate* unmanaged<nint, ulong, int> ListVectorReserve;
    public readonly delegate* unmanaged<nint, ulong, int> ListVectorSetSize;
    public readonly delegate* unmanaged<nint, ulong, byte*, ulong, void> VectorAssignStringElementLength;
    public readonly delegate* unmanaged<nint, void> VectorEnsureValidityWritable;

    // Prepared statements.
    public readonly delegate* unmanaged<nint, byte*, nint*, int> Prepare;
    public readonly delegate* unmanaged<nint*, void> DestroyPrepare;
    public readonly delegate* unmanaged<nint, nint> PrepareError;
    public readonly delegate* unmanaged<nint, ulong> ParameterCount;
    public readonly delegate* unmanaged<nint, int> ClearBindings;
    public readonly delegate* unmanaged<nint, ulong, nint, int> BindValue;
    public readonly delegate* unmanaged<nint, DuckDbResultStruct*, int> ExecutePreparedStreaming;

    // Values (parameters and appended lists).
    public readonly delegate* unmanaged<nint*, void> DestroyValue;
    public readonly delegate* unmanaged<byte, nint> CreateBool;
    public readonly delegate* unmanaged<sbyte, nint> CreateInt8;
    public readonly delegate* unmanaged<short, nint> CreateInt16;
    public readonly delegate* unmanaged<int, nint> CreateInt32;
    public readonly delegate* unmanaged<long, nint> CreateInt64;
    public readonly delegate* unmanaged<byte, nint> CreateUInt8;
    public readonly delegate* unmanaged<ushort, nint> CreateUInt16;
    public readonly delegate* unmanaged<uint, nint> CreateUInt32;
    public readonly delegate* unmanaged<ulong, nint> CreateUInt64;
    public readonly delegate* unmanaged<float, nint> CreateFloat;
    public readonly delegate* unmanaged<double, nint> CreateDouble;
    public readonly delegate* unmanaged<byte*, ulong, nint> CreateVarcharLength;
    public readonly delegate* unmanaged<nint> CreateNullValue;
    public readonly delegate* unmanaged<nint, nint*, ulong, nint> CreateListValue;

    // Appender.
    public readonly delegate* unmanaged<nint, byte*, byte*, nint*, int> AppenderCreate;
    public readonly delegate* unmanaged<nint, ulong> AppenderColumnCount;
    public readonly delegate* unmanaged<nint, ulong, nint> AppenderColumnType;
    public readonly delegate* unmanaged<nint, nint, int> AppendDataChunk;
    public readonly delegate* unmanaged<nint, nint> AppenderErrorData;
    public readonly delegate* unmanaged<nint, int> AppenderFlush;
    public readonly delegate* unmanaged<nint, int> AppenderClose;
    public readonly delegate* unmanaged<nint*, int> AppenderDestroy;
    public readonly delegate* unmanaged<nint, int> AppenderEndRow;
    public readonly delegate* unmanaged<nint, nint, int> AppendValue;
    public readonly delegate* unmanaged<nint, int> AppendNull;
    public readonly delegate* unmanaged<nint, byte*, ulong, int> AppendVarcharLength;
    public readonly delegate* unmanaged<nint, nint> ErrorDataMessage;
    public readonly delegate* unmanaged<nint*, void> DestroyErrorData;

    private DuckDbApi(NativeLibraryLoader library)
    {
        LibraryPath = library.Path;
        LibraryVersion = (delegate* unmanaged<nint>)library.Export("duckdb_library_version");
        CreateConfig = (delegate* unmanaged<nint*, int>)library.Export("duckdb_create_config");
        SetConfig = (delegate* unmanaged<nint, byte*, byte*, int>)library.Export("duckdb_set_config");
        DestroyConfig = (delegate* unmanaged<nint*, void>)library.Export("duckdb_destroy_config");
        OpenExt = (delegate* unmanaged<byte*, nint*, nint, nint*, int>)library.Export("duckdb_open_ext");
        Close = (delegate* unmanaged<nint*, void>)library.Export("duckdb_close");
        Connect = (delegate* unmanaged<nint, nint*, int>)library.Export("duckdb_connect");
        Disconnect = (delegate* unmanaged<nint*, void>)library.Export("duckdb_disconnect");
        Free = (delegate* unmanaged<nint, void>)library.Export("duckdb_free");

        Query = (delegate* unmanaged<nint, byte*, DuckDbResultStruct*, int>)library.Export("duckdb_query");
        DestroyResult = (delegate* unmanaged<DuckDbResultStruct*, void>)library.Export("duckdb_destroy_result");
        ResultError = (delegate* unmanaged<DuckDbResultStruct*, nint>)library.Export("duckdb_result_error");
        ColumnCount = (delegate* unmanaged<DuckDbResultStruct*, ulong>)library.Export("duckdb_column_count");
        ColumnName = (delegate* unmanaged<DuckDbResultStruct*, ulong, nint>)library.Export("duckdb_column_name");
        ColumnLogicalType = (delegate* unmanaged<DuckDbResultStruct*, ulong, nint>)library.Export("duckdb_column_logical_type");
        RowsChanged = (delegate* unmanaged<DuckDbResultStruct*, ulong>)library.Export("duckdb_rows_changed");
        FetchChunk = (delegate* unmanaged<DuckDbResultStruct, nint>)library.Export("duckdb_fetch_chunk");

        GetTypeId = (delegate* unmanaged<nint, int>)library.Export("duckdb_get_type_id");
        ListTypeChildType = (delegate* unmanaged<nint, nint>)library.Export("duckdb_list_type_child_type");
        DestroyLogicalType = (delegate* unmanaged<nint*, void>)library.Export("duckdb_destroy_logical_type");
        CreateLogicalType = (delegate* unmanaged<int, nint>)library.Export("duckdb_create_logical_type");

        DestroyDataChunk = (delegate* unmanaged<nint*, void>)library.Export("duckdb_destroy_data_chunk");
        DataChunkGetColumnCount = (delegate* unmanaged<nint, ulong>)library.Export("duckdb_data_chunk_get_column_count");
        DataChunkGetSize = (delegate* unmanaged<nint, ulong>)library.Export("duckdb_data_chunk_get_size");
        DataChunkGetVector = (delegate* unmanaged<nint, ulong, nint>)library.Export("duckdb_data_chunk_get_vector");
        VectorGetColumnType = (delegate* unmanaged<nint, nint>)library.Export("duckdb_vector_get_column_type");
        VectorGetData = (delegate* unmanaged<nint, void*>)library.Export("duckdb_vector_get_data");
        VectorGetValidity = (delegate* unmanaged<nint, ulong*>)library.Export("duckdb_vector_get_validity");
        ListVectorGetChild = (delegate* unmanaged<nint, nint>)library.Export("duckdb_list_vector_get_child");
        ListVectorGetSize = (delegate* unmanaged<nint, ulong>)library.Export("duckdb_list_vector_get_size");
        VectorSize = (delegate* unmanaged<ulong>)library.Export("duckdb_vector_size");
        CreateDataChunk = (delegate* unmanaged<nint*, ulong, nint>)library.Export("duckdb_create_data_chunk");
        DataChunkSetSize = (delegate* unmanaged<nint, ulong, void>)library.Export("duckdb_data_chunk_set_size");
        DataChunkReset = (delegate* unmanaged<nint, void>)library.Export("duckdb_data_chunk_reset");
        ListVectorReserve = (delegate* unmanaged<nint, ulong, int>)library.Export("duckdb_list_vector_reserve");
        ListVectorSetSize = (delegate* unmanaged<nint, ulong, int>)library.Export("duckdb_list_vector_set_size");
        VectorAssignStringElementLength = (delegate* unmanaged<nint, ulong, byte*, ulong, void>)library.Export("duckdb_vector_assign_string_element_len");
        VectorEnsureValidityWritable = (delegate* unmanaged<nint, void>)library.Export("duckdb_vector_ensure_validity_writable");

        Prepare = (delegate* unmanaged<nint, byte*, nint*, int>)library.Export("duckdb_prepare");
        DestroyPrepare = (delegate* unmanaged<nint*, void>)library.Export("duckdb_destroy_prepare");
        PrepareError = (delegate* unmanaged<nint, nint>)library.Export("duckdb_prepare_error");
        ParameterCount = (delegate* unmanaged<nint, ulong>)library.Export("duckdb_nparams");
        ClearBindings = (delegate* unmanaged<nint, int>)library.Export("duckdb_clear_bindings");
        BindValue = (delegate* unmanaged<nint, ulong, nint, int>)library.Export("duckdb_bind_value");
        ExecutePreparedStreaming = (delegate* unmanaged<nint, DuckDbResultStruct*, int>)library.Export("duckdb_execute_prepared_streaming");

        DestroyValue = (delegate* unmanaged<nint*, void>)library.Export("duckdb_destroy_value");
        CreateBool = (delegate* unmanaged<byte, nint>)library.Export("duckdb_create_bool");
        CreateInt8 = (delegate* unmanaged<sbyte, nint>)library.Export("duckdb_create_int8");
        CreateInt16 = (delegate* unmanaged<short, nint>)library.Export("duckdb_create_int16");
        CreateInt32 = (delegate* unmanaged<int, nint>)library.Export("duckdb_create_int32");
        CreateInt64 = (delegate* unmanaged<long, nint>)library.Export("duckdb_create_int64");
        CreateUInt8 = (delegate* unmanaged<byte, nint>)library.Export("duckdb_create_uint8");
        CreateUInt16 = (delegate* unmanaged<ushort, nint>)library.Export("duckdb_create_uint16");
        CreateUInt32 = (delegate* unmanaged<uint, nint>)library.Export("duckdb_create_uint32");
        CreateUInt64 = (delegate* unmanaged<ulong, nint>)library.Export("duckdb_create_uint64");
        CreateFloat = (delegate* unmanaged<float, nint>)library.Export("duckdb_create_float");
        CreateDouble = (delegate* unmanaged<double, nint>)library.Export("duckdb_create_double");
        CreateVarcharLength = (delegate* unmanaged<byte*, ulong, nint>)library.Export("duckdb_create_varchar_length");
        CreateNullValue = (delegate* unmanaged<nint>)library.Export("duckdb_create_null_value");
        CreateListValue = (delegate* unmanaged<nint, nint*, ulong, nint>)library.Export("duckdb_create_list_value");

        AppenderCreate = (delegate* unmanaged<nint, byte*, byte*, nint*, int>)library.Export("duckdb_appender_create");
        AppenderColumnCount = (delegate* unmanaged<nint, ulong>)library.Export("duckdb_appender_column_count");
        AppenderColumnType = (delegate* unmanaged<nint, ulong, nint>)library.Export("duckdb_appender_column_type");
        AppendDataChunk = (delegate* unmanaged<nint, nint, int>)library.Export("duckdb_append_data_chunk");
        AppenderErrorData = (delegate* unmanaged<nint, nint>)library.Export("duckdb_appender_error_data");
        AppenderFlush = (delegate* unmanaged<nint, int>)library.Export("duckdb_appender_flush");
        AppenderClose = (delegate* unmanaged<nint, int>)library.Export("duckdb_appender_close");
        AppenderDestroy = (delegate* unmanaged<nint*, int>)library.Export("duckdb_appender_destroy");
        AppenderEndRow = (delegate* unmanaged<nint, int>)library.Export("duckdb_appender_end_row");
        AppendValue = (delegate* unmanaged<nint, nint, int>)library.Export("duckdb_append_value");
        AppendNull = (delegate* unmanaged<nint, int>)library.Export("duckdb_append_null");
        AppendVarcharLength = (delegate* unmanaged<nint, byte*, ulong, int>)library.Export("duckdb_append_varchar_length");
        ErrorDataMessage = (delegate* unmanaged<nint, nint>)library.Export("duckdb_error_data_message");
        DestroyErrorData = (delegate* unmanaged<nint*, void>)library.Export("duckdb_destroy_error_data");
    }
}
