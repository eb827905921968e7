using System.Xml.Linq;
using Flame.Analysis.Plots;
using Flame.Analysis.Reports;

namespace Flame.Analysis.Tests.Reports;

[TestClass]
public sealed class HtmlReportTests
{
    [TestMethod]
    public void EmbedsFiguresAndEscapesText()
    {
        var chart = new BarChart("load", "expert", "fraction", ["0", "1"], [0.5, 0.5]);
        var html = new HtmlReport("Run <a>")
            .Heading("Load & balance")
            .Table(["expert", "fraction"], [["0", "0.5"], ["1", "0.5"]])
            .Figure(chart.ToSvg(), "tokens per expert")
            .ToString();

        StringAssert.Contains(html, "<title>Run &lt;a&gt;</title>");
        StringAssert.Contains(html, "<h2>Load &amp; balance</h2>");
        StringAssert.Contains(html, "<figure><svg");
        Assert.IsFalse(html.Contains("<script", StringComparison.Ordinal), "self-contained and inert");
        // The embedded figure stays well-formed XML.
        var svgStart = html.IndexOf("<svg", StringComparison.Ordinal);
        var svgEnd = html.IndexOf("</svg>", StringComparison.Ordinal) + "</svg>".Length;
        XDocument.Parse(html[svgStart..svgEnd]);
    }

    [TestMethod]
    public void RowsMustMatchTheHeader()
    {
        Assert.ThrowsExactly<ArgumentException>(() => new HtmlReport("r").Table(["a", "b"], [["1"]]));
    }
}
