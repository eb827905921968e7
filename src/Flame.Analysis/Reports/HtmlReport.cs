using System.Net;
using System.Text;

namespace Flame.Analysis.Reports;

/// <summary>
/// A self-contained HTML page (inline CSS, inline SVG, no scripts or external files), so a
/// report can be mailed, archived or opened from a copied run folder as it is.
/// </summary>
public sealed class HtmlReport(string title)
{
    private readonly StringBuilder _body = new();

    public HtmlReport Heading(string text, int level = 2)
    {
        _body.Append($"<h{level}>").Append(WebUtility.HtmlEncode(text)).Append($"</h{level}>\n");
        return this;
    }

    public HtmlReport Paragraph(string text)
    {
        _body.Append("<p>").Append(WebUtility.HtmlEncode(text)).Append("</p>\n");
        return this;
    }

    /// <summary>A figure from an SVG document (as our chart types write it) with a caption.</summary>
    public HtmlReport Figure(string svg, string caption)
    {
        var start = svg.IndexOf("<svg", StringComparison.Ordinal);
        if (start < 0)
        {
            throw new ArgumentException("not an SVG document", nameof(svg));
        }

        _body.Append("<figure>").Append(svg[start..]).Append("<figcaption>")
            .Append(WebUtility.HtmlEncode(caption)).Append("</figcaption></figure>\n");
        return this;
    }

    /// <summary>A table; numbers should arrive already formatted, as the reader will see them.</summary>
    public HtmlReport Table(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows)
    {
        _body.Append("<table><thead><tr>");
        foreach (var cell in header)
        {
            _body.Append("<th>").Append(WebUtility.HtmlEncode(cell)).Append("</th>");
        }

        _body.Append("</tr></thead><tbody>\n");
        foreach (var row in rows)
        {
            if (row.Count != header.Count)
            {
                throw new ArgumentException($"a row has {row.Count} cells; the header has {header.Count}");
            }

            _body.Append("<tr>");
            foreach (var cell in row)
            {
                _body.Append("<td>").Append(WebUtility.HtmlEncode(cell)).Append("</td>");
            }

            _body.Append("</tr>\n");
        }

        _body.Append("</tbody></table>\n");
        return this;
    }

    public override string ToString() =>
        $$"""
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>{{WebUtility.HtmlEncode(title)}}</title>
        <style>
        body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; color: #222; line-height: 1.45; }
        table { border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }
        th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }
        th { background: #f2f2f2; } td:first-child, th:first-child { text-align: left; }
        figure { margin: 1.5em 0; } figcaption { color: #555; font-size: 0.9em; }
        </style></head><body>
        <h1>{{WebUtility.HtmlEncode(title)}}</h1>
        {{_body}}</body></html>

        """;
}
