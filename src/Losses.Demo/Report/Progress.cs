namespace Losses.Demo.Report;

/// <summary>
/// A one-line progress bar redrawn in place while a model trains. It draws only on an interactive console; when the
/// output is redirected (CI, a pipe, a file) it stays silent and the per-epoch table rows are the progress record.
/// </summary>
internal sealed class Progress : IDisposable
{
    private static readonly bool Interactive = !Console.IsOutputRedirected;
    private readonly string _label;
    private readonly int _total;
    private int _lastDrawn = -1;

    public Progress(string label, int total)
    {
        _label = label;
        _total = Math.Max(1, total);
    }

    public void Report(int done, string detail = "")
    {
        if (!Interactive)
        {
            return;
        }
        int filled = (int)(24L * Math.Min(done, _total) / _total);
        if (filled == _lastDrawn && done < _total)
        {
            return;
        }
        _lastDrawn = filled;
        string bar = new string('#', filled) + new string('.', 24 - filled);
        string line = $"  {_label} [{bar}] {done}/{_total} {detail}";
        Console.Write("\r" + line.PadRight(Math.Max(line.Length, Console.WindowWidth > 0 ? Math.Min(Console.WindowWidth - 1, 100) : 80)));
    }

    /// <summary>Erases the bar so that a table row can be printed; the next report draws it again.</summary>
    public void Clear()
    {
        if (Interactive && _lastDrawn >= 0)
        {
            Console.Write("\r" + new string(' ', Console.WindowWidth > 0 ? Math.Min(Console.WindowWidth - 1, 100) : 80) + "\r");
        }
        _lastDrawn = -1;
    }

    public void Dispose() => Clear();
}
