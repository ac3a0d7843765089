using System.Globalization;
using System.Text.Json;

namespace Losses.Tests.Support;

/// <summary>
/// Reads the reference files under Reference/ (written by the Python scripts beside them). Numbers are JSON numbers;
/// non-finite values are the strings "Infinity", "-Infinity" and "NaN".
/// </summary>
public static class Reference
{
    private static readonly Dictionary<string, JsonDocument> s_files = [];

    /// <summary>The cases of Reference/<paramref name="file"/>, each a JSON object.</summary>
    public static IReadOnlyList<JsonElement> Cases(string file)
    {
        lock (s_files)
        {
            if (!s_files.TryGetValue(file, out var document))
            {
                string path = Path.Combine(AppContext.BaseDirectory, "Reference", file);
                document = JsonDocument.Parse(File.ReadAllBytes(path));
                s_files[file] = document;
            }
            return [.. document.RootElement.GetProperty("cases").EnumerateArray()];
        }
    }

    /// <summary>The case named <paramref name="name"/> in <paramref name="file"/>.</summary>
    public static JsonElement Case(string file, string name) =>
        Cases(file).Single(c => c.GetProperty("name").GetString() == name);

    /// <summary>Case names of a file, for xunit's MemberData.</summary>
    public static TheoryData<string> Names(string file, Func<JsonElement, bool>? where = null)
    {
        var data = new TheoryData<string>();
        foreach (var c in Cases(file))
        {
            if (where is null || where(c))
            {
                data.Add(c.GetProperty("name").GetString()!);
            }
        }
        return data;
    }

    public static double Number(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Number => e.GetDouble(),
        JsonValueKind.String => double.Parse(e.GetString()!, CultureInfo.InvariantCulture),
        _ => throw new InvalidDataException($"not a number: {e}"),
    };

    public static double[] Doubles(this JsonElement c, string property) =>
        [.. c.GetProperty(property).EnumerateArray().Select(Number)];

    public static float[] Floats(this JsonElement c, string property) =>
        [.. c.GetProperty(property).EnumerateArray().Select(e => (float)Number(e))];

    public static T[] Values<T>(this JsonElement c, string property) where T : System.Numerics.IFloatingPointIeee754<T> =>
        [.. c.GetProperty(property).EnumerateArray().Select(e => T.CreateTruncating(Number(e)))];

    public static double Scalar(this JsonElement c, string property) => Number(c.GetProperty(property));

    public static int Int(this JsonElement c, string property) => c.GetProperty(property).GetInt32();

    public static string Text(this JsonElement c, string property) => c.GetProperty(property).GetString()!;
}
