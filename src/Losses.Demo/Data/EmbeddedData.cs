using System.Globalization;
using System.IO.Compression;
using System.Reflection;

namespace Losses.Demo.Data;

/// <summary>scikit-learn's bundled data sets, embedded in the demo (see Data/DATA-LICENSES.md for sources and licences).</summary>
internal static class EmbeddedData
{
    /// <summary>1,797 8×8 images of handwritten digits, pixel counts 0..16, ten classes (UCI optdigits test set).</summary>
    public static Dataset Digits()
    {
        using var reader = new StreamReader(new GZipStream(Open("digits.csv.gz"), CompressionMode.Decompress));
        var (features, labelCells) = ReadRows(reader, 64, 1797);
        int[] labels = [.. labelCells.Select(cell => (int)double.Parse(cell, CultureInfo.InvariantCulture))];
        string[] pixels = Enumerable.Range(0, 64).Select(i => $"pixel_{i / 8}_{i % 8}").ToArray();
        string[] digits = Enumerable.Range(0, 10).Select(d => d.ToString(CultureInfo.InvariantCulture)).ToArray();
        return new Dataset("digits", features, labels, pixels, digits);
    }

    /// <summary>
    /// 569 breast masses × 30 nucleus features (Wisconsin Diagnostic). Labels are remapped so that 1 = malignant (the
    /// class a screen looks for, 212 rows) and 0 = benign (357 rows); the file itself says 0 = malignant, 1 = benign.
    /// </summary>
    public static Dataset BreastCancer()
    {
        using var reader = new StreamReader(Open("breast_cancer.csv"));
        _ = reader.ReadLine(); // "569,30,malignant,benign"
        var (features, labelCells) = ReadRows(reader, 30, 569);
        int[] labels = [.. labelCells.Select(cell => cell.Trim() == "0" ? 1 : 0)];
        return new Dataset("breast_cancer", features, labels, BreastCancerFeatures, ["benign", "malignant"]);
    }

    /// <summary>The King James Version, Genesis–Deuteronomy, as the lines of <c>bible -l0</c>: chapter headings and numbered verses.</summary>
    public static string[] KingJamesPentateuch()
    {
        using var reader = new StreamReader(new GZipStream(Open("kjv-pentateuch.txt.gz"), CompressionMode.Decompress));
        return reader.ReadToEnd().Split('\n');
    }

    // scikit-learn's feature_names for load_breast_cancer, in file order.
    private static readonly string[] BreastCancerFeatures =
    [
        .. Measures.Select(m => "mean " + m),
        .. Measures.Select(m => m + " error"),
        .. Measures.Select(m => "worst " + m),
    ];

    private static string[] Measures =>
    [
        "radius", "texture", "perimeter", "area", "smoothness",
        "compactness", "concavity", "concave points", "symmetry", "fractal dimension",
    ];

    /// <summary>Reads CSV rows of <paramref name="featureCount"/> numbers and then a label cell, skipping empty lines.</summary>
    private static (float[] Features, List<string> Labels) ReadRows(TextReader reader, int featureCount, int expectedRows)
    {
        var features = new List<float>(expectedRows * featureCount);
        var labels = new List<string>(expectedRows);
        string? line;
        while ((line = reader.ReadLine()) is not null)
        {
            if (line.Length == 0)
            {
                continue;
            }
            string[] cells = line.Split(',');
            for (int i = 0; i < featureCount; i++)
            {
                features.Add(float.Parse(cells[i], CultureInfo.InvariantCulture));
            }
            labels.Add(cells[featureCount]);
        }
        return ([.. features], labels);
    }

    private static Stream Open(string file)
    {
        Assembly assembly = typeof(EmbeddedData).Assembly;
        return assembly.GetManifestResourceStream("Losses.Demo.Data." + file)
            ?? throw new InvalidOperationException($"embedded resource {file} is missing from {assembly.GetName().Name}");
    }
}
