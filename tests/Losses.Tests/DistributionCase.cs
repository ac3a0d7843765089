using System.Numerics;
using System.Text.Json;

namespace Losses.Tests;

/// <summary>One case of Reference/distributions.json: a batch of rows × classCount inputs and SciPy/PyTorch expectations.</summary>
public sealed class DistributionCase
{
    public const string File = "distributions.json";

    private readonly JsonElement _case;

    public DistributionCase(string name)
    {
        Name = name;
        _case = Reference.Case(File, name);
        Rows = _case.Int("rows");
        ClassCount = _case.Int("classCount");
        Base = _case.Scalar("base");
        Temperature = _case.Scalar("temperature");
    }

    public static TheoryData<string> Names(Func<JsonElement, bool>? where = null) => Reference.Names(File, where);

    public string Name { get; }

    public int Rows { get; }

    public int ClassCount { get; }

    public double Base { get; }

    public double Temperature { get; }

    public bool Has(string property) => _case.TryGetProperty(property, out _);

    /// <summary>p, or counts · pqScale where the generator left p out (the long case).</summary>
    public T[] P<T>() where T : IFloatingPointIeee754<T> => Has("p") ? Values<T>("p") : Scaled<T>("counts");

    public T[] Q<T>() where T : IFloatingPointIeee754<T> => Has("q") ? Values<T>("q") : Scaled<T>("countsQ");

    public T[] Values<T>(string property) where T : IFloatingPointIeee754<T> => _case.Values<T>(property);

    public double[] Expected(string property) => _case.Doubles(property);

    public double Scalar(string property) => _case.Scalar(property);

    private T[] Scaled<T>(string property) where T : IFloatingPointIeee754<T>
    {
        T scale = T.CreateTruncating(_case.Scalar("pqScale"));
        return [.. Values<T>(property).Select(v => v * scale)];
    }

    /// <summary>Relative and absolute tolerance for values of order one computed in <typeparamref name="T"/>.</summary>
    public static (double Relative, double Absolute) Tolerance<T>() =>
        typeof(T) == typeof(float) ? (3e-5, 3e-6) : (1e-11, 1e-13);

    /// <summary>Checks a batched call (one value per row) and the single-row call on every row against the expectation.</summary>
    public void CheckRows<T>(string expectedProperty, Func<int, T> single, T[] batch, double slack = 1)
        where T : IFloatingPointIeee754<T>
    {
        var (relative, absolute) = Tolerance<T>();
        double[] expected = Expected(expectedProperty);
        Approx.Equal<double>(expected, [.. batch.Select(double.CreateTruncating)], relative * slack, absolute * slack, $"{Name} {typeof(T).Name} {expectedProperty} (batch)");
        for (int row = 0; row < Rows; row++)
        {
            Approx.Equal(expected[row], double.CreateTruncating(single(row)), relative * slack, absolute * slack, $"{Name} {typeof(T).Name} {expectedProperty}[{row}] (one row)");
        }
    }
}

/// <summary>Random test distributions: rows with zeros, spikes and flat parts, for the FsCheck properties.</summary>
public static class Distributions
{
    /// <summary>A probability vector of length n (sums to 1 in double), some entries exactly 0 when <paramref name="zeros"/>.</summary>
    public static double[] Probabilities(Random random, int n, bool zeros = true)
    {
        var p = new double[n];
        double spread = Math.Exp(random.NextDouble() * 6 - 3);
        for (int i = 0; i < n; i++)
        {
            p[i] = zeros && random.Next(5) == 0 ? 0 : Math.Exp(spread * Normal(random));
        }
        if (p.All(v => v == 0))
        {
            p[random.Next(n)] = 1;
        }
        double sum = p.Sum();
        return [.. p.Select(v => v / sum)];
    }

    /// <summary>Logits of scale up to ~30, some −∞ (never all) when <paramref name="masked"/>.</summary>
    public static double[] Logits(Random random, int n, bool masked = false)
    {
        double scale = Math.Exp(random.NextDouble() * 5 - 2);
        var x = new double[n];
        for (int i = 0; i < n; i++)
        {
            x[i] = masked && i > 0 && random.Next(6) == 0 ? double.NegativeInfinity : scale * Normal(random) + random.Next(-3, 4);
        }
        return x;
    }

    public static double Normal(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    public static float[] ToFloat(double[] x) => [.. x.Select(v => (float)v)];

    public static double[] ToDouble(float[] x) => [.. x.Select(v => (double)v)];

    /// <summary>softmax in double, the plain way (the test oracle).</summary>
    public static double[] Softmax(double[] x)
    {
        double max = x.Max();
        double[] e = [.. x.Select(v => Math.Exp(v - max))];
        double sum = e.Sum();
        return [.. e.Select(v => v / sum)];
    }
}
