namespace Flame.Analysis.Plots;

/// <summary>Maps data values to pixels along one axis, linear or base-10 logarithmic, and picks readable ticks.</summary>
public sealed class AxisScale
{
    private readonly double _min;
    private readonly double _max;
    private readonly double _pixelStart;
    private readonly double _pixelEnd;

    public AxisScale(double min, double max, double pixelStart, double pixelEnd, bool logarithmic = false)
    {
        if (logarithmic && min <= 0)
        {
            throw new ArgumentException($"a logarithmic axis needs positive values; the smallest is {min}");
        }

        if (min == max)
        {
            // A flat series still gets a visible axis around its value.
            var pad = min == 0 ? 1 : Math.Abs(min) * 0.1;
            (min, max) = logarithmic ? (min / 2, max * 2) : (min - pad, max + pad);
        }

        Logarithmic = logarithmic;
        (_min, _max) = logarithmic ? (Math.Log10(min), Math.Log10(max)) : (min, max);
        _pixelStart = pixelStart;
        _pixelEnd = pixelEnd;
    }

    public bool Logarithmic { get; }

    public double ToPixel(double value)
    {
        var v = Logarithmic ? Math.Log10(value) : value;
        return _pixelStart + (v - _min) / (_max - _min) * (_pixelEnd - _pixelStart);
    }

    /// <summary>About <paramref name="count"/> round tick values inside the range (powers of ten on a log axis).</summary>
    public IReadOnlyList<double> Ticks(int count = 5)
    {
        if (Logarithmic)
        {
            var ticks = Enumerable.Range((int)Math.Ceiling(_min), (int)Math.Floor(_max) - (int)Math.Ceiling(_min) + 1)
                .Select(e => Math.Pow(10, e)).ToList();
            return ticks.Count >= 2 ? ticks : [Math.Pow(10, _min), Math.Pow(10, _max)];
        }

        var rawStep = (_max - _min) / count;
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(rawStep)));
        var step = new[] { 1.0, 2, 2.5, 5, 10 }.Select(m => m * magnitude).First(s => s >= rawStep);
        var first = Math.Ceiling(_min / step) * step;
        var result = new List<double>();
        for (var t = first; t <= _max + step * 1e-9; t += step)
        {
            // Rounding to 12 places removes the float noise of repeated addition (0.6000000000000001).
            result.Add(Math.Round(Math.Round(t / step) * step, 12));
        }

        return result;
    }

    public static string Format(double value) =>
        value == 0 ? "0"
        : Math.Abs(value) >= 1e5 || Math.Abs(value) < 1e-3 ? value.ToString("0.#e0", System.Globalization.CultureInfo.InvariantCulture)
        : value.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture);
}
