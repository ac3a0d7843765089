namespace Losses.Demo.Report;

/// <summary>The demo's key figures with their thresholds; <c>--check</c> turns a failed one into a non-zero exit (CI).</summary>
internal sealed class Checks
{
    private readonly List<(string What, bool Passed, string Detail)> _items = [];

    public int Failures => _items.Count(i => !i.Passed);

    public int Count => _items.Count;

    public void Add(string what, bool passed, string detail) => _items.Add((what, passed, detail));

    public void AtLeast(string what, double value, double threshold) =>
        Add(what, value >= threshold, $"{Table.F(value)} ≥ {Table.F(threshold, 2)}");

    public void Print(TextWriter output)
    {
        var table = new Table(output, ("check", -66), ("figure", -28), ("result", -6));
        table.Header();
        foreach (var (what, passed, detail) in _items)
        {
            table.Row(what, detail, passed ? "ok" : "FAILED");
        }
    }
}
