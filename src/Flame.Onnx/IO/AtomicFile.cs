namespace Flame.Onnx.IO;

/// <summary>
/// Writes files so that a reader sees either the old or the whole new content, never half of
/// it: the content goes to a temporary file in the same folder, is flushed to disk (fsync),
/// and is renamed over the target. An interrupted write leaves the previous file intact.
/// </summary>
public static class AtomicFile
{
    /// <summary>Writes through <paramref name="write"/> and commits the file when it returns.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        var fullPath = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(fullPath)!;
        Directory.CreateDirectory(directory);
        var temporary = Path.Combine(directory, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, fullPath, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    public static void WriteAllText(string path, string contents) => Write(path, stream =>
    {
        using var writer = new StreamWriter(stream, leaveOpen: true);
        writer.Write(contents);
    });

    public static void WriteAllBytes(string path, ReadOnlySpan<byte> contents)
    {
        var bytes = contents.ToArray();
        Write(path, stream => stream.Write(bytes));
    }
}
