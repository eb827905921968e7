using System.Runtime.InteropServices;

namespace Flame.Runtime.Interop;

/// <summary>
/// Finds and loads libonnxruntime.so.1 once per process and returns its OrtApi function table
/// (API version 29, ORT 1.29). The library is looked for in $FLAME_ORT_DIR (the GPU machine
/// sets it to the folder holding the CUDA plug-ins too), then next to our assemblies, where
/// the build copies it.
/// </summary>
internal static unsafe class OrtLibrary
{
    public const uint ApiVersion = 29;
    public const string ExpectedVersion = "1.29";
    public const string FileName = "libonnxruntime.so.1";

    private static readonly Lazy<(nint Table, string Path, string Version)> Loaded = new(() => Load(SearchFolders()));

    /// <summary>The OrtApi table: a C array of function pointers, indexed by slot.</summary>
    public static nint* Table => (nint*)Loaded.Value.Table;

    public static string LoadedPath => Loaded.Value.Path;

    public static string Version => Loaded.Value.Version;

    public static IReadOnlyList<string> SearchFolders()
    {
        var folders = new List<string>();
        if (Environment.GetEnvironmentVariable("FLAME_ORT_DIR") is { Length: > 0 } configured)
        {
            folders.Add(configured);
        }

        folders.Add(AppContext.BaseDirectory);
        return folders;
    }

    /// <summary>Loads the library from the first folder that has it; public for tests of the error path.</summary>
    /// <exception cref="DllNotFoundException">no folder has the library, or it is not ORT 1.29 with API 29; the message names the paths and versions.</exception>
    public static (nint Table, string Path, string Version) Load(IReadOnlyList<string> folders)
    {
        var path = folders.Select(f => Path.Combine(f, FileName)).FirstOrDefault(File.Exists)
            ?? throw new DllNotFoundException(
                $"ONNX Runtime {ExpectedVersion} ({FileName}) was not found in {string.Join(" or ", folders)}. "
                + "The build copies it there from the npm package onnxruntime-node@1.29.0: run `dotnet build` again (it needs npm), "
                + "or point FLAME_ORT_DIR at a folder holding it.");

        nint library;
        try
        {
            library = NativeLibrary.Load(path);
        }
        catch (Exception e) when (e is DllNotFoundException or BadImageFormatException)
        {
            throw new DllNotFoundException($"{path} could not be loaded ({e.Message}); it should be ONNX Runtime {ExpectedVersion} for linux-x64.", e);
        }

        if (!NativeLibrary.TryGetExport(library, "OrtGetApiBase", out var getApiBase))
        {
            throw new DllNotFoundException($"{path} is not ONNX Runtime: it has no OrtGetApiBase export.");
        }

        // struct OrtApiBase { const OrtApi* (*GetApi)(uint32_t); const char* (*GetVersionString)(void); }
        var apiBase = ((delegate* unmanaged<nint*>)getApiBase)();
        var version = Marshal.PtrToStringUTF8(((delegate* unmanaged<nint>)apiBase[1])()) ?? "unknown";
        var table = ((delegate* unmanaged<uint, nint>)apiBase[0])(ApiVersion);
        if (table == 0 || !version.StartsWith(ExpectedVersion + ".", StringComparison.Ordinal))
        {
            throw new DllNotFoundException(
                $"{path} is ONNX Runtime {version}, which does not serve API version {ApiVersion}; Flame.Onnx needs ONNX Runtime {ExpectedVersion}.x. "
                + "Delete the file and build again to fetch the right one.");
        }

        return (table, path, version);
    }
}
