using ScottPlot;

namespace Losses.Demo;

/// <summary>One line of a panel in the PNG: y over x (epochs or steps).</summary>
internal sealed record PlotSeries(string Label, double[] X, double[] Y);

/// <summary>
/// One panel of the PNG. <see cref="Name"/> is its file name (without .png) when panels are written one by one
/// (<c>--figures DIR</c>, the documentation's figures).
/// </summary>
internal sealed record PlotPanel(string Title, string XLabel, string YLabel, List<PlotSeries> Series, bool LogY = false, Alignment Legend = Alignment.UpperRight,
    string Name = "panel", bool IntegerX = true, (double Min, double Max)? YRange = null);

/// <summary>Collects the curves the sections produce and renders them (ScottPlot on SkiaSharp) as a grid of panels in one PNG.</summary>
internal sealed class PlotBook
{
    public const int PanelWidth = 640, PanelHeight = 420;

    public List<PlotPanel> Panels { get; } = [];

    public PlotPanel Panel(string title, string xLabel, string yLabel, bool logY = false, Alignment legend = Alignment.UpperRight,
        string name = "panel", bool integerX = true, (double Min, double Max)? yRange = null)
    {
        var panel = new PlotPanel(title, xLabel, yLabel, [], logY, legend, name, integerX, yRange);
        Panels.Add(panel);
        return panel;
    }

    /// <summary>Writes the panels as a grid in one PNG; returns its size in bytes.</summary>
    public long Save(string path) => Save(Panels, path);

    /// <summary>Writes each panel to <c>directory/Name.png</c>; returns the paths written.</summary>
    public List<string> SaveEach(string directory)
    {
        Directory.CreateDirectory(directory);
        var written = new List<string>();
        foreach (PlotPanel panel in Panels)
        {
            string path = Path.Combine(directory, panel.Name + ".png");
            Save([panel], path);
            written.Add(path);
        }
        return written;
    }

    private static long Save(List<PlotPanel> panels, string path)
    {
        int columns = panels.Count > 1 ? 2 : 1;
        int rows = (panels.Count + columns - 1) / columns;
        var multiplot = new Multiplot();
        multiplot.RemovePlot(multiplot.GetPlot(0));
        foreach (PlotPanel panel in panels)
        {
            multiplot.AddPlot(Render(panel));
        }
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Grid(rows, columns);
        multiplot.SavePng(path, PanelWidth * columns, PanelHeight * rows);
        return new FileInfo(path).Length;
    }

    private static ScottPlot.Plot Render(PlotPanel panel)
    {
        var plot = new ScottPlot.Plot();
        plot.Title(panel.Title, size: 15);
        plot.XLabel(panel.XLabel, size: 13);
        plot.YLabel(panel.LogY ? panel.YLabel + " (log10)" : panel.YLabel, size: 13);
        foreach (PlotSeries series in panel.Series)
        {
            double[] y = panel.LogY ? series.Y.Select(v => Math.Log10(Math.Max(v, 1e-12))).ToArray() : series.Y;
            var scatter = plot.Add.Scatter(series.X, y);
            scatter.LegendText = series.Label;
            scatter.LineWidth = 2;
            scatter.MarkerSize = series.X.Length <= 40 ? 5 : 0;
        }
        plot.ShowLegend(panel.Legend);
        if (panel.YRange is { } range)
        {
            plot.Axes.SetLimitsY(range.Min, range.Max);
        }
        if (panel.IntegerX)
        {
            plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        }
        return plot;
    }
}
