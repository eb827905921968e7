namespace Flame.Import.Tests;

/// <summary>The checkpoints tests/fixtures/megatron/make_megatron_fixture.py writes, copied beside the tests.</summary>
public static class MegatronFixture
{
    public static string Folder => Path.Combine(AppContext.BaseDirectory, "Megatron");

    /// <summary>Two checkpoints (iter_0000010, iter_0000020) of a 3-layer model: layer 0 dense, two MoE layers of 8 experts (top-2, a shared expert), bf16, EP 2.</summary>
    public static string Release => Path.Combine(Folder, "release");

    /// <summary>A 2-layer all-MoE model whose layers are saved stacked along a prepended layer axis (homogeneous layers).</summary>
    public static string Stacked => Path.Combine(Folder, "stacked", "iter_0000007");

    /// <summary>A checkpoint with grouped-query attention (2 query groups for 4 heads): another architecture.</summary>
    public static string GroupedQuery => Path.Combine(Folder, "gqa", "iter_0000005");

    /// <summary>The release's model with biases on its attention and fc2 layers (--add-bias-linear): another architecture.</summary>
    public static string Biased => Path.Combine(Folder, "bias", "iter_0000005");

    /// <summary>A writable copy of a fixture folder, for tests that damage it.</summary>
    public static string CopyOf(string folder, string scratch)
    {
        var target = Path.Combine(scratch, Path.GetFileName(folder));
        foreach (var file in Directory.GetFiles(folder, "*", SearchOption.AllDirectories))
        {
            var to = Path.Combine(target, Path.GetRelativePath(folder, file));
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(file, to);
        }

        return target;
    }
}
