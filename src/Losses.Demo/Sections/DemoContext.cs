namespace Losses.Demo.Sections;

/// <summary>What every section shares: the output, the key-figure checks, the plot, and the seed.</summary>
internal sealed class DemoContext(TextWriter output, Report.Checks checks, PlotBook plots, int seed)
{
    public TextWriter Out { get; } = output;

    public Report.Checks Checks { get; } = checks;

    public PlotBook Plots { get; } = plots;

    public int Seed { get; } = seed;

    /// <summary>The data set's name without the split suffix: "digits (train)" → "digits".</summary>
    public static string DataName(Data.Dataset data) => data.Name.Replace(" (train)", "", StringComparison.Ordinal);

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

    /// <summary>A section that does not apply to this data: its heading and one line saying why, so it never silently disappears.</summary>
    public void Skipped(string number, string title, string why)
    {
        Out.WriteLine();
        Out.WriteLine($"{number}. {title}: skipped");
        Out.WriteLine($"  {why}");
    }
}
