namespace Flame.Data.Indexed;

/// <summary>
/// Replaces a PREFIX.bin / PREFIX.idx pair so that a reader sees the old pair or the new one,
/// never a mix, even if the process is killed between the two renames: the complete new files
/// are written as PREFIX.{bin,idx}.new, a marker PREFIX.swap is then created (the commit point),
/// the two files renamed and the marker deleted. Whoever finds a marker (the next writer or
/// reader) finishes the renames; .new files without a marker, and .partial files, are the
/// leftovers of a killed write and are removed.
/// </summary>
public static class IndexedDatasetPair
{
    public static string Bin(string prefix) => prefix + ".bin";

    public static string Idx(string prefix) => prefix + ".idx";

    public static string Marker(string prefix) => prefix + ".swap";

    public static string Staged(string file) => file + ".new";

    public static bool Exists(string prefix) => (File.Exists(Bin(prefix)) && File.Exists(Idx(prefix))) || File.Exists(Marker(prefix));

    /// <summary>Makes the staged pair the pair (both .new files complete and on disk).</summary>
    public static void Commit(string prefix)
    {
        using (File.Create(Marker(prefix)))
        {
        }

        Recover(prefix);
    }

    /// <summary>Finishes a committed swap, or removes the leftovers of one that never committed.</summary>
    public static void Recover(string prefix)
    {
        if (File.Exists(Marker(prefix)))
        {
            foreach (var file in new[] { Bin(prefix), Idx(prefix) }.Where(f => File.Exists(Staged(f))))
            {
                File.Move(Staged(file), file, overwrite: true);
            }

            File.Delete(Marker(prefix));
            return;
        }

        foreach (var file in new[] { Staged(Bin(prefix)), Staged(Idx(prefix)) }.Where(File.Exists))
        {
            File.Delete(file);
        }

        var folder = Path.GetDirectoryName(Path.GetFullPath(prefix))!;
        if (Directory.Exists(folder))
        {
            foreach (var partial in Directory.EnumerateFiles(folder, Path.GetFileName(prefix) + ".bin.*.partial"))
            {
                File.Delete(partial);
            }
        }
    }
}
