using System.Numerics.Tensors;
using Losses;

// The main job of the library, shown on rows where the obvious .NET call breaks.
bool check = args.Contains("--check");
int failures = 0;

Console.WriteLine("Softmax on rows where a softmax without max-subtraction overflows");
Console.WriteLine();
Console.WriteLine($"{"row",-22} {"TensorPrimitives.SoftMax",-28} {"Losses Softmax.Forward",-28} {"LogSumExp",12}");
float[][] rows =
[
    [89f, 0f],
    [1000f, 1000f],
    [-110f, -120f],
    [1e4f, -1e4f, 0f],
    [2f, float.NegativeInfinity, 1f],
];
foreach (float[] row in rows)
{
    var naive = new float[row.Length];
    var safe = new float[row.Length];
    TensorPrimitives.SoftMax(row, naive);
    Softmax.Forward<float>(row, safe);
    float lse = LogSumExp.Forward<float>(row);
    Console.WriteLine($"{Show(row),-22} {Show(naive),-28} {Show(safe),-28} {lse,12:G6}");
    if (safe.Any(float.IsNaN) || Math.Abs(safe.Sum() - 1f) > 1e-6f)
    {
        failures++;
    }
}

if (check && failures > 0)
{
    Console.Error.WriteLine($"check failed: {failures} rows gave a non-finite or unnormalised softmax");
    return 1;
}
return 0;

static string Show(float[] values) => "[" + string.Join(", ", values.Select(v => v.ToString("G4", System.Globalization.CultureInfo.InvariantCulture))) + "]";
