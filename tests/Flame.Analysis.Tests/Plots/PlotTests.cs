using System.Xml.Linq;
using Flame.Analysis.Plots;

namespace Flame.Analysis.Tests.Plots;

[TestClass]
public sealed class PlotTests
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void LineChartDrawsEverySeriesAndSkipsNonFinitePoints()
    {
        var chart = new LineChart("loss", "step", "loss",
        [
            new Series("moe", [(0, 4.0), (100, 3.0), (200, double.NaN), (300, 2.5)]),
            new Series("dense <baseline>", [(0, 4.1), (100, 3.3), (300, 2.9)]),
        ]);

        var svg = XDocument.Parse(chart.ToSvg());
        var lines = svg.Descendants(Svg + "polyline").ToList();
        Assert.HasCount(2, lines);
        Assert.HasCount(3, lines[0].Attribute("points")!.Value.Split(' '), "the NaN point is left out");
        Assert.IsTrue(svg.Descendants(Svg + "text").Any(t => t.Value == "dense <baseline>"), "legend text is escaped, not dropped");
        SaveForLooking("line.svg", chart.ToSvg());
    }

    [TestMethod]
    public void LogAxisTicksArePowersOfTen()
    {
        var scale = new AxisScale(1e17, 1e21, 0, 100, logarithmic: true);
        CollectionAssert.AreEqual(new[] { 1e17, 1e18, 1e19, 1e20, 1e21 }, scale.Ticks().ToArray());
        Assert.AreEqual(50, scale.ToPixel(1e19), 1e-9);
        Assert.ThrowsExactly<ArgumentException>(() => new AxisScale(0, 1, 0, 100, logarithmic: true));
    }

    [TestMethod]
    public void LinearTicksAreRound()
    {
        CollectionAssert.AreEqual(new[] { 0.0, 0.2, 0.4, 0.6, 0.8, 1.0 }, new AxisScale(0, 1, 0, 1).Ticks().ToArray());
    }

    [TestMethod]
    public void HeatmapHasACellPerValueWithTooltips()
    {
        var values = new double[,] { { 0, 0.5 }, { 1, 0 } };
        var svg = XDocument.Parse(new Heatmap("co-activation", values, ["e0", "e1"], ["e0", "e1"]).ToSvg());
        var cells = svg.Descendants(Svg + "rect").Where(r => r.Element(Svg + "title") is not null).ToList();
        Assert.HasCount(4, cells);
        Assert.AreEqual(Heatmap.Colour(1), cells[2].Attribute("fill")!.Value, "the largest value is the darkest");
        StringAssert.Contains(cells[1].Element(Svg + "title")!.Value, "0.5");
        Assert.ThrowsExactly<ArgumentException>(() => new Heatmap("bad", values, ["a"], ["a", "b"]).ToSvg());
    }

    [TestMethod]
    public void BarChartDrawsTheReferenceLine()
    {
        var chart = new BarChart("load", "expert", "fraction", ["0", "1", "2", "3"], [0.5, 0.25, 0.125, 0.125])
        {
            Reference = 0.25,
            ReferenceLabel = "balanced 1/E",
        };
        var svg = XDocument.Parse(chart.ToSvg());
        Assert.IsTrue(svg.Descendants(Svg + "line").Any(l => l.Attribute("stroke-dasharray") is not null));
        SaveForLooking("bars.svg", chart.ToSvg());
    }

    private void SaveForLooking(string name, string svg)
    {
        var path = Path.Combine(TestContext.TestRunDirectory ?? Path.GetTempPath(), name);
        File.WriteAllText(path, svg);
        TestContext.WriteLine($"wrote {path}");
    }
}
