using System.Numerics;
using System.Text.Json;

namespace Losses.Tests;

/// <summary>CrossEntropy (integer and soft targets) against PyTorch 1.13, edge cases, bad input and allocation.</summary>
public class CrossEntropyTests
{
    public static TheoryData<string> IndexCases => TrainingReference.Names("ce");

    public static TheoryData<string> SoftCases => TrainingReference.Names("ce-soft");

    [Theory]
    [MemberData(nameof(IndexCases))]
    public void Integer_targets_match_pytorch(string name) =>
        TrainingReference.Check(name, Index<float>, Index<double>);

    [Theory]
    [MemberData(nameof(SoftCases))]
    public void Soft_targets_match_pytorch(string name) =>
        TrainingReference.Check(name, Soft<float>, Soft<double>);

    private static T Index<T>(JsonElement c, T[] x, Span<T> gradient, Reduction reduction, Span<T> losses)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        CrossEntropy.Forward<T>(x, c.Ints("targets"), c.Int("classCount"), gradient, reduction, losses, c.Optional<T>("weight"),
            c.Int("ignoreIndex"), c.Scalar("labelSmoothing"));

    private static T Soft<T>(JsonElement c, T[] x, Span<T> gradient, Reduction reduction, Span<T> losses)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        CrossEntropy.ForwardWithProbabilities<T>(x, c.Values<T>("probabilities"), c.Int("classCount"), gradient, reduction, losses,
            c.Optional<T>("weight"), c.Scalar("labelSmoothing"));

    [Fact]
    public void Gradient_may_be_the_logits_themselves()
    {
        float[] x = [2f, 0f, -1f, 0.5f, 0.5f, 3f, 1f, 1f, 1f];
        var separate = new float[x.Length];
        float expected = CrossEntropy.Forward<float>(x, [0, 2, 1], 3, separate, labelSmoothing: 0.1f);
        float actual = CrossEntropy.Forward<float>(x, [0, 2, 1], 3, x, labelSmoothing: 0.1f);
        Assert.Equal(expected, actual);
        Assert.Equal(separate, x);
    }

    [Theory]
    [InlineData(3, 10)]
    [InlineData(37, 40)]
    [InlineData(5, 1000)]
    [InlineData(2, 5000)]
    public void In_place_gradient_equals_separate_gradient(int rows, int classes)
    {
        var random = new Random(rows * classes);
        float[] x = [.. Enumerable.Range(0, rows * classes).Select(_ => (float)((random.NextDouble() * 30) - 15))];
        int[] t = [.. Enumerable.Range(0, rows).Select(_ => random.Next(classes))];
        var separate = new float[x.Length];
        float expected = CrossEntropy.Forward<float>(x, t, classes, separate);
        float actual = CrossEntropy.Forward<float>(x, t, classes, x);
        Assert.Equal(expected, actual, 1e-6f);
        Approx.Equal<float>(separate, x, 1e-5, 1e-7, "in-place gradient");
    }

    [Fact]
    public void Tiny_and_wide_rows_agree_with_a_scalar_reference()
    {
        foreach (int classes in new[] { 1, 2, 3, 7, 8, 15, 16, 17, 33, 100, 1000 })
        {
            var random = new Random(classes);
            int rows = 5;
            double[] x = [.. Enumerable.Range(0, rows * classes).Select(_ => (random.NextDouble() * 20) - 10)];
            int[] t = [.. Enumerable.Range(0, rows).Select(_ => random.Next(classes))];
            var g = new double[x.Length];
            double loss = CrossEntropy.Forward<double>(x, t, classes, g, Reduction.Sum);
            double expected = 0;
            for (int r = 0; r < rows; r++)
            {
                var row = x.AsSpan(r * classes, classes);
                double max = row.ToArray().Max();
                double sum = row.ToArray().Sum(v => Math.Exp(v - max));
                expected += Math.Log(sum) + max - row[t[r]];
                for (int j = 0; j < classes; j++)
                {
                    double p = Math.Exp(row[j] - max) / sum;
                    Assert.Equal(p - (j == t[r] ? 1 : 0), g[(r * classes) + j], 1e-14);
                }
            }
            Assert.Equal(expected, loss, 1e-12 * Math.Max(1, expected));
        }
    }

    [Fact]
    public void Bad_input_throws_before_writing()
    {
        float[] x = [1f, 2f, 3f, 4f];
        var g = new float[4];
        g[0] = 42f;
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => CrossEntropy.Forward<float>(x, [0, 2], 2, g));
        Assert.Equal("targets", e.ParamName);
        Assert.Contains("targets[1] = 2", e.Message, StringComparison.Ordinal);
        Assert.Equal(42f, g[0]);
        Assert.Throws<ArgumentException>("logits", () => CrossEntropy.Forward<float>(x, [0], 3));
        Assert.Throws<ArgumentException>("targets", () => CrossEntropy.Forward<float>(x, [0], 2));
        Assert.Throws<ArgumentException>("gradient", () => CrossEntropy.Forward<float>(x, [0, 1], 2, new float[3]));
        Assert.Throws<ArgumentException>("losses", () => CrossEntropy.Forward<float>(x, [0, 1], 2, reduction: Reduction.None, losses: new float[1]));
        Assert.Throws<ArgumentException>("weight", () => CrossEntropy.Forward<float>(x, [0, 1], 2, weight: new float[3]));
        Assert.Throws<ArgumentOutOfRangeException>("labelSmoothing", () => CrossEntropy.Forward<float>(x, [0, 1], 2, labelSmoothing: 1.5f));
        Assert.Throws<ArgumentOutOfRangeException>("reduction", () => CrossEntropy.Forward<float>(x, [0, 1], 2, reduction: Reduction.BatchMean));
        Assert.Throws<ArgumentOutOfRangeException>("maxDegreeOfParallelism", () => CrossEntropy.Forward<float>(x, [0, 1], 2, maxDegreeOfParallelism: 0));
        Assert.Throws<ArgumentOutOfRangeException>("classCount", () => CrossEntropy.Forward<float>(x, [0, 1], 0));
    }

    [Theory]
    [InlineData(10)]
    [InlineData(300)]
    public void A_nan_logit_poisons_only_its_row(int classes)
    {
        const int rows = 20;
        float[] x = [.. Enumerable.Range(0, rows * classes).Select(i => (float)Math.Sin(i))];
        int[] t = [.. Enumerable.Range(0, rows).Select(i => i % classes)];
        x[(3 * classes) + 1] = float.NaN;
        var g = new float[x.Length];
        var l = new float[rows];
        CrossEntropy.Forward<float>(x, t, classes, g, Reduction.None, l);
        for (int r = 0; r < rows; r++)
        {
            Assert.Equal(r == 3, float.IsNaN(l[r]));
            Assert.Equal(r == 3, g.AsSpan(r * classes, classes).ToArray().All(float.IsNaN));
            Assert.True(r == 3 || g.AsSpan(r * classes, classes).ToArray().All(float.IsFinite));
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(10)]
    [InlineData(16)]
    [InlineData(17)]
    [InlineData(33)]
    [InlineData(128)]
    public void Plain_forward_block_gives_the_losses_of_the_general_block_bit_for_bit(int classes)
    {
        // Without weights, smoothing or gradient the short-row block takes its plain path (exp-sum alone, target picked
        // in a loop of its own); with weights the general one. With weights of 1 the arithmetic per lane is the same
        // (w·ℓ = ℓ exactly): the same bits, with ignored, masked, ±∞ and NaN rows and a z-loss, in float and double,
        // over a ragged number of rows (the rows after the last whole block take the row path, where the two agree too).
        const int rows = 45;
        var random = new Random(classes);
        double[] x = [.. Enumerable.Range(0, rows * classes).Select(_ => (random.NextDouble() * 40) - 20)];
        int[] t = [.. Enumerable.Range(0, rows).Select(i => i % 7 == 3 ? -100 : random.Next(classes))];
        x[(5 * classes) + t[5]] = double.NegativeInfinity;
        x[(8 * classes) + (classes / 2)] = double.PositiveInfinity;
        x[(13 * classes) + (classes / 3)] = double.NaN;
        x[17 * classes] = 1e4;
        foreach (double zLoss in new[] { 0, 1e-4 })
        {
            SameLosses(x, t, classes, zLoss);
            SameLosses<float>([.. x.Select(v => (float)v)], t, classes, zLoss);
        }
    }

    private static void SameLosses<T>(T[] x, int[] t, int classes, double zLoss)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var plain = new T[t.Length];
        var general = new T[t.Length];
        CrossEntropy.Forward<T>(x, t, classes, reduction: Reduction.None, losses: plain, zLoss: zLoss);
        CrossEntropy.Forward<T>(x, t, classes, default, Reduction.None, general, Enumerable.Repeat(T.One, classes).ToArray(), zLoss: zLoss);
        for (int r = 0; r < t.Length; r++)
        {
            Assert.True(plain[r].Equals(general[r]), $"row {r}: {plain[r]} vs {general[r]}");
        }
    }

    [Fact]
    public void Empty_batch_gives_nan_mean_and_zero_sum()
    {
        Assert.True(float.IsNaN(CrossEntropy.Forward<float>([], Array.Empty<int>(), 3)));
        Assert.Equal(0f, CrossEntropy.Forward<float>([], Array.Empty<int>(), 3, reduction: Reduction.Sum));
    }

    [Fact]
    public void Does_not_allocate()
    {
        float[] x = [.. Enumerable.Range(0, 64 * 40).Select(i => (float)Math.Sin(i))];
        int[] t = [.. Enumerable.Range(0, 64).Select(i => i % 40)];
        float[] w = [.. Enumerable.Range(0, 40).Select(i => 1f + (i % 3))];
        var g = new float[x.Length];
        var l = new float[64];
        var p = new float[x.Length];
        Assert.Equal(0, Allocations.Of(() => CrossEntropy.Forward<float>(x, t, 40, g, Reduction.Mean, default, w, 3, 0.1f)));
        Assert.Equal(0, Allocations.Of(() => CrossEntropy.Forward<float>(x, t, 40, g, Reduction.None, l)));
        Assert.Equal(0, Allocations.Of(() => CrossEntropy.ForwardWithProbabilities<float>(x, p, 40, g)));
        Assert.Equal(0, Allocations.Of(() => NllLoss.Forward<float>(x, t, 40, g)));
    }
}
