namespace Losses.Demo.Sections;

/// <summary>What every section shares: the output, the key-figure checks, the plot, and the seed.</summary>
internal sealed class DemoContext(TextWriter output, Report.Checks checks, PlotBook plots, int seed)
{
    public TextWriter Out { get; } = output;

    public Report.Checks Checks { get; } = checks;

    public PlotBook Plots { get; } = plots;

    public int Seed { get; } = seed;

    public void Heading(string number, string title, string why)
    {
        Out.WriteLine();
        Out.WriteLine($"{number}. {title}");
        Out.WriteLine(new string('=', number.Length + 2 + title.Length));
        foreach (string line in why.Split('\n'))
        {
            Out.WriteLine(line);
        }
        Out.WriteLine();
    }
}
