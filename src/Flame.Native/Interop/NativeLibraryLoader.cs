using System.Runtime.InteropServices;

namespace Flame.Native.Interop;

/// <summary>
/// Loads a native library from the first folder that has it and resolves its exports, with
/// errors that name every path tried, so a missing or wrong library is one readable message.
/// </summary>
internal sealed class NativeLibraryLoader
{
    private readonly nint _library;

    private NativeLibraryLoader(nint library, string path)
    {
        _library = library;
        Path = path;
    }

    /// <summary>Where the library was loaded from (a file path, or a bare name the system loader resolved).</summary>
    public string Path { get; }

    /// <summary>Loads <paramref name="fileName"/> from the first of <paramref name="folders"/> holding it.</summary>
    /// <exception cref="DllNotFoundException">no folder has the file, or it cannot be loaded; the message names the paths and <paramref name="hint"/>.</exception>
    public static NativeLibraryLoader FromFolders(string fileName, IReadOnlyList<string> folders, string hint)
    {
        var candidates = folders.Select(f => System.IO.Path.Combine(f, fileName)).ToList();
        var path = candidates.FirstOrDefault(File.Exists)
            ?? throw new DllNotFoundException($"{fileName} was not found at {string.Join(" or ", candidates)}. {hint}");
        return Load(path, hint);
    }

    /// <summary>Loads a library by the name the system loader searches for (e.g. libzstd.so.1).</summary>
    /// <exception cref="DllNotFoundException">the system loader cannot find or load it; the message carries <paramref name="hint"/>.</exception>
    public static NativeLibraryLoader FromSystem(string fileName, string hint) => Load(fileName, hint);

    private static NativeLibraryLoader Load(string path, string hint)
    {
        try
        {
            return new NativeLibraryLoader(NativeLibrary.Load(path), path);
        }
        catch (Exception e) when (e is DllNotFoundException or BadImageFormatException)
        {
            throw new DllNotFoundException($"{path} could not be loaded ({e.Message}). {hint}", e);
        }
    }

    /// <summary>The address of an exported function.</summary>
    /// <exception cref="EntryPointNotFoundException">the library does not export <paramref name="name"/> (a different version).</exception>
    public nint Export(string name) =>
        NativeLibrary.TryGetExport(_library, name, out var address)
            ? address
            : throw new EntryPointNotFoundException($"{Path} has no export {name}; it is not the expected version of the library.");
}
