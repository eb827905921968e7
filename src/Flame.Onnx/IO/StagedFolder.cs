namespace Flame.Onnx.IO;

/// <summary>
/// A folder written whole or not at all: the content goes into a sibling staging folder
/// (TARGET.partial-GUID), which is renamed into place when it is complete; an existing target
/// is moved aside (TARGET.old-GUID) first and deleted after, and only when the caller allows it.
/// A write killed at any point leaves the old target or nothing; its leftovers are removed by
/// the next write.
/// </summary>
public static class StagedFolder
{
    /// <summary>Writes <paramref name="target"/> through <paramref name="write"/> (given the staging folder) and returns what it returned.</summary>
    /// <exception cref="IOException">the target holds something and <paramref name="overwrite"/> is false; <paramref name="what"/> names it ("an export").</exception>
    public static T Write<T>(string target, bool overwrite, string what, Func<string, T> write)
    {
        target = Path.GetFullPath(target);
        if (Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any() && !overwrite)
        {
            throw new IOException($"{target} already holds {what}; add --force to replace it");
        }

        var parent = Directory.CreateDirectory(Path.GetDirectoryName(target)!).FullName;
        foreach (var leftover in Directory.GetDirectories(parent, Path.GetFileName(target) + ".partial-*").Concat(Directory.GetDirectories(parent, Path.GetFileName(target) + ".old-*")))
        {
            Directory.Delete(leftover, recursive: true);
        }

        var staging = $"{target}.partial-{Guid.NewGuid():N}";
        try
        {
            Directory.CreateDirectory(staging);
            var result = write(staging);
            var old = Directory.Exists(target) ? $"{target}.old-{Guid.NewGuid():N}" : null;
            if (old is not null)
            {
                Directory.Move(target, old);
            }

            Directory.Move(staging, target);
            if (old is not null)
            {
                Directory.Delete(old, recursive: true);
            }

            return result;
        }
        finally
        {
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }
        }
    }
}
