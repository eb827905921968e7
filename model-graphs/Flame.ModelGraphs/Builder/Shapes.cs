namespace Flame.ModelGraphs.Builder;

/// <summary>Shape rules shared by the ops: numpy broadcasting and reductions.</summary>
internal static class Shapes
{
    public static Dim[] Broadcast(string op, Dim[] a, Dim[] b)
    {
        var rank = Math.Max(a.Length, b.Length);
        var result = new Dim[rank];
        for (var i = 0; i < rank; i++)
        {
            var x = i < rank - a.Length ? (Dim)1 : a[i - (rank - a.Length)];
            var y = i < rank - b.Length ? (Dim)1 : b[i - (rank - b.Length)];
            result[i] = (x, y) switch
            {
                _ when x == y => x,
                _ when x.IsKnown && x.Size == 1 => y,
                _ when y.IsKnown && y.Size == 1 => x,
                _ when x.IsKnown && y.IsKnown => throw new ShapeError($"{op} cannot broadcast [{string.Join(", ", a)}] with [{string.Join(", ", b)}]"),
                _ => x.IsKnown ? x : y, // a symbol against a size: the size wins, the run time checks
            };
        }

        return result;
    }

    public static Dim[] Reduced(Dim[] shape, long[] axes, bool keepDims)
    {
        var normal = axes.Select(a => a < 0 ? shape.Length + a : a).ToHashSet();
        return keepDims
            ? shape.Select((d, i) => normal.Contains(i) ? (Dim)1 : d).ToArray()
            : shape.Where((_, i) => !normal.Contains(i)).ToArray();
    }
}
