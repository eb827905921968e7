namespace Flame.Analysis.Plots;

/// <summary>
/// Vertical bars with an optional reference line: expert load histograms (fraction of
/// tokens per expert, with the balanced 1/E level drawn across).
/// </summary>
public sealed record BarChart(string Title, string XLabel, string YLabel, IReadOnlyList<string> Labels, IReadOnlyList<double> Values)
{
    /// <summary>A horizontal reference line (e.g. the balanced load 1/E), or null.</summary>
    public double? Reference { get; init; }

    public string ReferenceLabel { get; init; } = "";

    public double Width { get; init; } = 640;

    public double Height { get; init; } = 320;

    public string ToSvg()
    {
        if (Labels.Count != Values.Count)
        {
            throw new ArgumentException($"{Values.Count} bars need {Values.Count} labels; got {Labels.Count}");
        }

        const double left = 60, right = 20, top = 40, bottom = 50;
        var canvas = new SvgCanvas(Width, Height);
        canvas.Text(Width / 2, 22, Title, 14, "middle");
        var max = Values.Where(double.IsFinite).DefaultIfEmpty(0).Max();
        max = Math.Max(max, Reference ?? 0);
        var y = new AxisScale(0, max == 0 ? 1 : max * 1.05, Height - bottom, top);
        foreach (var tick in y.Ticks())
        {
            canvas.Line(left, y.ToPixel(tick), Width - right, y.ToPixel(tick), "#e5e5e5");
            canvas.Text(left - 6, y.ToPixel(tick) + 4, AxisScale.Format(tick), 10, "end");
        }

        var slot = (Width - left - right) / Math.Max(1, Values.Count);
        var labelEvery = Math.Max(1, (int)Math.Ceiling(Values.Count / 32.0));
        for (var i = 0; i < Values.Count; i++)
        {
            var v = double.IsFinite(Values[i]) ? Values[i] : 0;
            var x = left + i * slot;
            canvas.Rect(x + slot * 0.1, y.ToPixel(v), slot * 0.8, Height - bottom - y.ToPixel(v), LineChart.Palette[0], $"{Labels[i]}: {AxisScale.Format(v)}");
            if (i % labelEvery == 0)
            {
                canvas.Text(x + slot / 2, Height - bottom + 14, Labels[i], 9, "middle");
            }
        }

        if (Reference is { } reference)
        {
            canvas.Line(left, y.ToPixel(reference), Width - right, y.ToPixel(reference), "#D55E00", 1.5, "5,3");
            canvas.Text(Width - right, y.ToPixel(reference) - 4, ReferenceLabel, 10, "end", fill: "#D55E00");
        }

        canvas.Line(left, Height - bottom, Width - right, Height - bottom, "#444");
        canvas.Text((left + Width - right) / 2, Height - 12, XLabel, 11, "middle");
        canvas.Text(14, (top + Height - bottom) / 2, YLabel, 11, "middle", -90);
        return canvas.ToString();
    }
}
