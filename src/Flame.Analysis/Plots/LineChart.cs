namespace Flame.Analysis.Plots;

/// <summary>One named series of (x, y) points.</summary>
public sealed record Series(string Name, IReadOnlyList<(double X, double Y)> Points);

/// <summary>
/// A line chart with axes, ticks, grid and legend: loss curves, accuracy over training steps,
/// saturation curves. Non-finite points are left out, so a diverged run still plots.
/// </summary>
public sealed record LineChart(string Title, string XLabel, string YLabel, IReadOnlyList<Series> Series)
{
    public bool LogX { get; init; }

    public bool LogY { get; init; }

    public double Width { get; init; } = 640;

    public double Height { get; init; } = 400;

    /// <summary>Colours that stay distinguishable for colour-blind readers (Okabe-Ito).</summary>
    public static readonly string[] Palette = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"];

    public string ToSvg()
    {
        const double left = 70, right = 150, top = 40, bottom = 55;
        var points = Series.SelectMany(s => s.Points).Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y)
            && (!LogX || p.X > 0) && (!LogY || p.Y > 0)).ToList();
        var canvas = new SvgCanvas(Width, Height);
        canvas.Text(Width / 2, 22, Title, 14, "middle");
        if (points.Count == 0)
        {
            canvas.Text(Width / 2, Height / 2, "no data", 12, "middle");
            return canvas.ToString();
        }

        var x = new AxisScale(points.Min(p => p.X), points.Max(p => p.X), left, Width - right, LogX);
        var y = new AxisScale(points.Min(p => p.Y), points.Max(p => p.Y), Height - bottom, top, LogY);
        foreach (var tick in x.Ticks())
        {
            var px = x.ToPixel(tick);
            canvas.Line(px, top, px, Height - bottom, "#e5e5e5");
            canvas.Text(px, Height - bottom + 16, AxisScale.Format(tick), 10, "middle");
        }

        foreach (var tick in y.Ticks())
        {
            var py = y.ToPixel(tick);
            canvas.Line(left, py, Width - right, py, "#e5e5e5");
            canvas.Text(left - 6, py + 4, AxisScale.Format(tick), 10, "end");
        }

        canvas.Line(left, Height - bottom, Width - right, Height - bottom, "#444");
        canvas.Line(left, top, left, Height - bottom, "#444");
        canvas.Text((left + Width - right) / 2, Height - 14, XLabel, 11, "middle");
        canvas.Text(16, (top + Height - bottom) / 2, YLabel, 11, "middle", -90);

        for (var i = 0; i < Series.Count; i++)
        {
            var colour = Palette[i % Palette.Length];
            var visible = Series[i].Points.Where(p => points.Contains(p)).OrderBy(p => p.X)
                .Select(p => (x.ToPixel(p.X), y.ToPixel(p.Y))).ToList();
            canvas.Polyline(visible, colour);
            if (visible.Count <= 30)
            {
                foreach (var (px, py) in visible)
                {
                    canvas.Circle(px, py, 2.5, colour);
                }
            }

            var legendY = top + 14 + i * 16;
            canvas.Line(Width - right + 12, legendY - 4, Width - right + 30, legendY - 4, colour, 2.5);
            canvas.Text(Width - right + 34, legendY, Series[i].Name, 10);
        }

        return canvas.ToString();
    }
}
