using ScottPlot;

namespace Losses.Demo;

/// <summary>One line of a panel in the PNG: y over x (epochs or steps).</summary>
internal sealed record PlotSeries(string Label, double[] X, double[] Y);

/// <summary>One panel of the PNG.</summary>
internal sealed record PlotPanel(string Title, string XLabel, string YLabel, List<PlotSeries> Series, bool LogY = false, Alignment Legend = Alignment.UpperRight);

/// <summary>Collects the curves the sections produce and renders them (ScottPlot on SkiaSharp) as a grid of panels in one PNG.</summary>
internal sealed class PlotBook
{
    public List<PlotPanel> Panels { get; } = [];

    public PlotPanel Panel(string title, string xLabel, string yLabel, bool logY = false, Alignment legend = Alignment.UpperRight)
    {
        var panel = new PlotPanel(title, xLabel, yLabel, [], logY, legend);
        Panels.Add(panel);
        return panel;
    }

    /// <summary>Writes the PNG; returns its size in bytes.</summary>
    public long Save(string path)
    {
        int columns = Panels.Count > 1 ? 2 : 1;
        int rows = (Panels.Count + columns - 1) / columns;
        var multiplot = new Multiplot();
        multiplot.RemovePlot(multiplot.GetPlot(0));
        foreach (PlotPanel panel in Panels)
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
            plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
            multiplot.AddPlot(plot);
        }
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Grid(rows, columns);
        multiplot.SavePng(path, 640 * columns, 420 * rows);
        return new FileInfo(path).Length;
    }
}
