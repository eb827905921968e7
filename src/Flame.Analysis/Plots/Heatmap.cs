namespace Flame.Analysis.Plots;

/// <summary>
/// A matrix as coloured cells (white = low, dark blue = high) with row/column labels and a
/// tooltip per cell: co-activation matrices, per-layer expert load.
/// </summary>
public sealed record Heatmap(string Title, double[,] Values, IReadOnlyList<string> RowLabels, IReadOnlyList<string> ColumnLabels)
{
    public string RowAxis { get; init; } = "";

    public string ColumnAxis { get; init; } = "";

    /// <summary>Pixels per cell side.</summary>
    public double Cell { get; init; } = 22;

    public string ToSvg()
    {
        int rows = Values.GetLength(0), columns = Values.GetLength(1);
        if (rows != RowLabels.Count || columns != ColumnLabels.Count)
        {
            throw new ArgumentException($"a {rows}x{columns} heatmap needs {rows} row and {columns} column labels; got {RowLabels.Count} and {ColumnLabels.Count}");
        }

        const double left = 70, top = 60, legend = 90;
        var canvas = new SvgCanvas(left + columns * Cell + legend, top + rows * Cell + 40);
        canvas.Text(canvas.Width / 2, 20, Title, 14, "middle");
        var max = 0.0;
        foreach (var v in Values)
        {
            if (double.IsFinite(v))
            {
                max = Math.Max(max, v);
            }
        }

        for (var r = 0; r < rows; r++)
        {
            canvas.Text(left - 6, top + r * Cell + Cell * 0.7, RowLabels[r], 10, "end");
            for (var c = 0; c < columns; c++)
            {
                var v = Values[r, c];
                canvas.Rect(left + c * Cell, top + r * Cell, Cell - 1, Cell - 1, Colour(max == 0 ? 0 : v / max),
                    $"{RowLabels[r]} / {ColumnLabels[c]}: {AxisScale.Format(v)}");
            }
        }

        for (var c = 0; c < columns; c++)
        {
            canvas.Text(left + c * Cell + Cell / 2, top - 6, ColumnLabels[c], 10, "middle");
        }

        canvas.Text(left + columns * Cell / 2, top - 24, ColumnAxis, 11, "middle");
        canvas.Text(14, top + rows * Cell / 2, RowAxis, 11, "middle", -90);

        // Colour scale: 0 at the bottom, max at the top.
        var scaleX = left + columns * Cell + 20;
        for (var i = 0; i < 10; i++)
        {
            canvas.Rect(scaleX, top + (9 - i) * 12, 14, 12, Colour(i / 9.0));
        }

        canvas.Text(scaleX + 18, top + 10, AxisScale.Format(max), 10);
        canvas.Text(scaleX + 18, top + 120, "0", 10);
        return canvas.ToString();
    }

    /// <summary>White to dark blue; fraction in [0, 1].</summary>
    public static string Colour(double fraction)
    {
        var f = double.IsFinite(fraction) ? Math.Clamp(fraction, 0, 1) : 0;
        int r = (int)(255 - f * (255 - 8)), g = (int)(255 - f * (255 - 48)), b = (int)(255 - f * (255 - 107));
        return $"#{r:X2}{g:X2}{b:X2}";
    }
}
