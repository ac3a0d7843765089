using System.Numerics;
using System.Text.Json;

namespace Losses.Tests;

/// <summary>Runs a training loss against the PyTorch cases of Reference/training.json (training_reference.py).</summary>
internal static class TrainingReference
{
    public const string File = "training.json";

    public delegate T Call<T>(JsonElement c, T[] x, Span<T> gradient, Reduction reduction, Span<T> losses)
        where T : unmanaged, IFloatingPointIeee754<T>;

    public static TheoryData<string> Names(string kind) => Reference.Names(File, c => c.Text("kind") == kind);

    public static void Check(string name, Call<float> single, Call<double> dual, double floatTolerance = 2e-5, double doubleTolerance = 1e-12)
    {
        var c = Reference.Case(File, name);
        if (c.Text("dtype") == "float32")
        {
            Check(c, single, floatTolerance);
        }
        else
        {
            Check(c, dual, doubleTolerance);
        }
    }

    private static void Check<T>(JsonElement c, Call<T> call, double tolerance)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T[] x = c.Values<T>("x");
        foreach (var reduction in new[] { Reduction.None, Reduction.Sum, Reduction.Mean, Reduction.BatchMean })
        {
            string key = reduction.ToString();
            if (!c.TryGetProperty("loss" + key, out _))
            {
                continue;
            }
            var gradient = new T[x.Length];
            var losses = new T[x.Length];
            T result = call(c, x, gradient, reduction, losses);
            double[] expectedGradient = c.Doubles("grad" + key);
            double gradientScale = Math.Max(1, expectedGradient.Where(double.IsFinite).Select(Math.Abs).DefaultIfEmpty(0).Max());
            if (reduction == Reduction.None)
            {
                double[] expected = c.Doubles("lossNone");
                double scale = Math.Max(1, expected.Where(double.IsFinite).Select(Math.Abs).DefaultIfEmpty(0).Max());
                Approx.Equal<T>(c.Values<T>("lossNone"), losses.AsSpan(0, expected.Length), tolerance, tolerance * scale, $"{c.Text("name")} losses");
            }
            else
            {
                double expected = c.Scalar("loss" + key);
                Approx.Equal(expected, double.CreateTruncating(result), tolerance, tolerance * Math.Max(1, Math.Abs(expected)), $"{c.Text("name")} {key}");
            }
            Approx.Equal<T>(c.Values<T>("grad" + key), gradient, tolerance, tolerance * gradientScale, $"{c.Text("name")} {key} gradient");
        }
    }

    public static int[] Ints(this JsonElement c, string property) => [.. c.GetProperty(property).EnumerateArray().Select(e => e.GetInt32())];

    public static T[] Optional<T>(this JsonElement c, string property)
        where T : IFloatingPointIeee754<T> =>
        c.TryGetProperty(property, out _) ? c.Values<T>(property) : [];
}
