using System.Globalization;
using System.Security;
using System.Text;

namespace Flame.Analysis.Plots;

/// <summary>
/// A minimal SVG writer: the few primitives our charts draw (lines, rectangles, text), with
/// numbers written invariantly and text escaped. No plotting package exists in our NuGet
/// mirror, and self-contained SVG embeds directly in the HTML reports.
/// </summary>
public sealed class SvgCanvas
{
    private readonly StringBuilder _body = new();

    public SvgCanvas(double width, double height)
    {
        Width = width;
        Height = height;
    }

    public double Width { get; }

    public double Height { get; }

    public void Line(double x1, double y1, double x2, double y2, string stroke, double width = 1, string? dash = null) =>
        _body.Append(Invariant($"<line x1=\"{x1:F1}\" y1=\"{y1:F1}\" x2=\"{x2:F1}\" y2=\"{y2:F1}\" stroke=\"{stroke}\" stroke-width=\"{width:F1}\""))
            .Append(dash is null ? "" : $" stroke-dasharray=\"{dash}\"").Append("/>\n");

    public void Polyline(IEnumerable<(double X, double Y)> points, string stroke, double width = 1.5) =>
        _body.Append("<polyline fill=\"none\" stroke=\"").Append(stroke).Append(Invariant($"\" stroke-width=\"{width:F1}\" points=\""))
            .AppendJoin(' ', points.Select(p => Invariant($"{p.X:F1},{p.Y:F1}"))).Append("\"/>\n");

    public void Circle(double x, double y, double radius, string fill) =>
        _body.Append(Invariant($"<circle cx=\"{x:F1}\" cy=\"{y:F1}\" r=\"{radius:F1}\" fill=\"{fill}\"/>\n"));

    public void Rect(double x, double y, double width, double height, string fill, string? title = null)
    {
        _body.Append(Invariant($"<rect x=\"{x:F2}\" y=\"{y:F2}\" width=\"{width:F2}\" height=\"{height:F2}\" fill=\"{fill}\""));
        _body.Append(title is null ? "/>\n" : $"><title>{Escape(title)}</title></rect>\n");
    }

    /// <summary>Text at (x, y); anchor is start, middle or end; rotate in degrees around the anchor point.</summary>
    public void Text(double x, double y, string text, double size = 11, string anchor = "start", double rotate = 0, string fill = "#222")
    {
        _body.Append(Invariant($"<text x=\"{x:F1}\" y=\"{y:F1}\" font-size=\"{size:F1}\" text-anchor=\"{anchor}\" fill=\"{fill}\""));
        if (rotate != 0)
        {
            _body.Append(Invariant($" transform=\"rotate({rotate:F0} {x:F1} {y:F1})\""));
        }

        _body.Append('>').Append(Escape(text)).Append("</text>\n");
    }

    public override string ToString() =>
        Invariant($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width:F0}\" height=\"{Height:F0}\" viewBox=\"0 0 {Width:F0} {Height:F0}\" font-family=\"sans-serif\">\n")
        + Invariant($"<rect width=\"{Width:F0}\" height=\"{Height:F0}\" fill=\"white\"/>\n") + _body + "</svg>\n";

    public static string Escape(string text) => SecurityElement.Escape(text) ?? "";

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
