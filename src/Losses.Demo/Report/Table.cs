using System.Globalization;

namespace Losses.Demo.Report;

/// <summary>A console table with fixed column widths, so rows can be printed as they are produced (during training).</summary>
internal sealed class Table
{
    private readonly (string Header, int Width, bool Left)[] _columns;
    private readonly TextWriter _out;

    public Table(TextWriter output, params (string Header, int Width)[] columns)
    {
        _out = output;
        // A negative width means left-aligned (as in composite formatting); text columns usually are.
        _columns = columns.Select(c => (c.Header, Math.Max(Math.Abs(c.Width), c.Header.Length), c.Width < 0)).ToArray();
    }

    public void Header()
    {
        Row(_columns.Select(c => c.Header).ToArray());
        _out.WriteLine("  " + string.Join("  ", _columns.Select(c => new string('-', c.Width))));
    }

    public void Row(params string[] cells)
    {
        var parts = new string[_columns.Length];
        for (int i = 0; i < _columns.Length; i++)
        {
            string cell = i < cells.Length ? cells[i] : "";
            parts[i] = _columns[i].Left ? cell.PadRight(_columns[i].Width) : cell.PadLeft(_columns[i].Width);
        }
        _out.WriteLine("  " + string.Join("  ", parts).TrimEnd());
    }

    public static string F(double value, int decimals = 4) =>
        value.ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    public static string G(double value, int digits = 3) =>
        value.ToString("G" + digits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    public static string Percent(double fraction) =>
        (100 * fraction).ToString("F1", CultureInfo.InvariantCulture) + "%";
}
