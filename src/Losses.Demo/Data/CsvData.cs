using System.Globalization;
using System.Text;

namespace Losses.Demo.Data;

/// <summary>A user's data could not be read; the message is one line naming the file, and the line and column where known.</summary>
internal sealed class DataException(string message) : Exception(message);

/// <summary>
/// Reads a user's CSV for classification: a header row of unique column names, then one row per example; every column
/// but the label must be numeric (invariant culture: <c>1.5</c>, <c>-2e-3</c>); the label column may hold any text, each
/// distinct value is a class — compared as numbers when every label is a finite number (so <c>1</c>, <c>1.0</c> and
/// <c>01</c> are one class), else as text. Fields may be double-quoted (RFC 4180 style, <c>""</c> for a quote inside).
/// Only regular files up to <see cref="MaxBytes"/> are read, and at least <see cref="MinRows"/> data rows are needed.
/// </summary>
internal static class CsvData
{
    /// <summary>256 MB: far above any data set this demo trains on in reasonable time, far below what exhausts memory.</summary>
    public const long MaxBytes = 256L << 20;

    /// <summary>Three rows to train on and one to test on, at the least.</summary>
    public const int MinRows = 4;

    public static Dataset Load(string path, string labelColumn)
    {
        string file = Path.GetFileName(path);
        if (Directory.Exists(path))
        {
            throw new DataException($"{path}: is a directory, not a CSV file");
        }
        if (!File.Exists(path))
        {
            throw new DataException($"{path}: file not found");
        }
        string[] lines;
        try
        {
            // A pipe or a device (/dev/zero) reports length 0 and would hang or never end; a regular file reports its size.
            long length = new FileInfo(path).Length;
            if (length == 0)
            {
                throw new DataException($"{path}: is empty, or is not a regular file (a pipe or a device); give a CSV file");
            }
            if (length > MaxBytes)
            {
                throw new DataException($"{path}: is {length / (1 << 20)} MB; the demo reads CSV files of at most {MaxBytes >> 20} MB");
            }
            lines = File.ReadAllLines(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DataException($"{path}: cannot be read ({e.Message})");
        }
        return Parse(lines, path, labelColumn);
    }

    public static Dataset Parse(IReadOnlyList<string> lines, string path, string labelColumn)
    {
        int headerLine = 0;
        while (headerLine < lines.Count && lines[headerLine].Trim().Length == 0)
        {
            headerLine++;
        }
        if (headerLine == lines.Count)
        {
            throw new DataException($"{path}: the file is empty (a header row of column names is expected on line 1)");
        }
        string[] header = Split(lines[headerLine], path, headerLine + 1).Select(h => h.Trim()).ToArray();
        for (int c = 1; c < header.Length; c++)
        {
            int first = Array.IndexOf(header, header[c], 0, c);
            if (first >= 0)
            {
                throw new DataException($"{path}, line {headerLine + 1}: column '{header[c]}' appears twice (columns {first + 1} and {c + 1}); column names must be unique");
            }
        }
        int label = Array.IndexOf(header, labelColumn);
        if (label < 0)
        {
            label = Array.FindIndex(header, h => string.Equals(h, labelColumn, StringComparison.OrdinalIgnoreCase));
        }
        if (label < 0)
        {
            string names = string.Join(", ", header.Take(12)) + (header.Length > 12 ? $", … ({header.Length} columns)" : "");
            throw new DataException($"{path}, line {headerLine + 1}: no column named '{labelColumn}' for --label (columns: {names})");
        }
        if (header.Length < 2)
        {
            throw new DataException($"{path}, line {headerLine + 1}: only the label column '{header[label]}'; at least one feature column is needed");
        }

        var features = new List<float>();
        var labelText = new List<string>();
        for (int i = headerLine + 1; i < lines.Count; i++)
        {
            if (lines[i].Trim().Length == 0)
            {
                continue;
            }
            int lineNumber = i + 1;
            string[] cells = Split(lines[i], path, lineNumber);
            if (cells.Length != header.Length)
            {
                throw new DataException($"{path}, line {lineNumber}: {cells.Length} fields but the header has {header.Length} columns");
            }
            for (int c = 0; c < cells.Length; c++)
            {
                if (c == label)
                {
                    string value = cells[c].Trim();
                    if (value.Length == 0)
                    {
                        throw new DataException($"{path}, line {lineNumber}, column {c + 1} ('{header[c]}'): the label is empty");
                    }
                    labelText.Add(value);
                    continue;
                }
                string text = cells[c].Trim();
                if (!float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out float number) || !float.IsFinite(number))
                {
                    string shown = text.Length == 0 ? "an empty field" : $"'{(text.Length > 24 ? text[..24] + "…" : text)}'";
                    throw new DataException($"{path}, line {lineNumber}, column {c + 1} ('{header[c]}'): {shown} is not a finite number");
                }
                features.Add(number);
            }
        }
        if (labelText.Count == 0)
        {
            throw new DataException($"{path}: no data rows after the header on line {headerLine + 1}");
        }
        if (labelText.Count < MinRows)
        {
            throw new DataException($"{path}: only {labelText.Count} data rows; at least {MinRows} are needed (3 to train on, 1 to test on)");
        }

        // Classes in a stable order: by value when every label is a finite number (1, 1.0 and 01 are one class), else as text.
        var values = new double[labelText.Count];
        bool numeric = true;
        for (int i = 0; i < values.Length && numeric; i++)
        {
            numeric = double.TryParse(labelText[i], NumberStyles.Float, CultureInfo.InvariantCulture, out values[i]) && double.IsFinite(values[i]);
            values[i] += 0.0; // −0 and 0 are one class
        }
        string[] keys = numeric ? [.. values.Select(v => v.ToString("R", CultureInfo.InvariantCulture))] : [.. labelText];
        string[] classes = numeric
            ? [.. values.Distinct().Order().Select(v => v.ToString("R", CultureInfo.InvariantCulture))]
            : [.. keys.Distinct().Order(StringComparer.Ordinal)];
        if (classes.Length < 2)
        {
            throw new DataException($"{path}: column '{header[label]}' has a single value '{classes[0]}'; a classifier needs at least two classes");
        }
        var index = classes.Select((c, i) => (c, i)).ToDictionary(p => p.c, p => p.i, StringComparer.Ordinal);
        int[] labels = [.. keys.Select(t => index[t])];
        string[] featureNames = [.. header.Where((_, c) => c != label)];
        return new Dataset(Path.GetFileName(path), [.. features], labels, featureNames, classes);
    }

    private static string[] Split(string line, string path, int lineNumber)
    {
        var cells = new List<string>();
        var cell = new StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char ch = line[i];
            if (quoted)
            {
                if (ch == '"' && i + 1 < line.Length && line[i + 1] == '"')
                {
                    cell.Append('"');
                    i++;
                }
                else if (ch == '"')
                {
                    quoted = false;
                }
                else
                {
                    cell.Append(ch);
                }
            }
            else if (ch == '"' && cell.ToString().Trim().Length == 0)
            {
                cell.Clear();
                quoted = true;
            }
            else if (ch == ',')
            {
                cells.Add(cell.ToString());
                cell.Clear();
            }
            else
            {
                cell.Append(ch);
            }
        }
        if (quoted)
        {
            throw new DataException($"{path}, line {lineNumber}, column {cells.Count + 1}: a quoted field is not closed on this line");
        }
        cells.Add(cell.ToString());
        return [.. cells];
    }
}
