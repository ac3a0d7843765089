using System.Numerics;
using System.Text.Json;

namespace Losses.Tests;

/// <summary>Softmax, LogSoftmax and LogSumExp against PyTorch 1.13 reference numbers (Reference/softmax_reference.py).</summary>
public class SoftmaxTests
{
    private const string File = "softmax.json";

    public static TheoryData<string> Cases => Reference.Names(File);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_pytorch(string name)
    {
        var c = Reference.Case(File, name);
        if (c.Text("dtype") == "float32")
        {
            Check<float>(c, relative: 2e-6, absolute: 1e-6);
        }
        else
        {
            Check<double>(c, relative: 1e-13, absolute: 1e-14);
        }
    }

    private static void Check<T>(JsonElement c, double relative, double absolute)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int classes = c.Int("classCount");
        T[] x = c.Values<T>("x");
        T[] dy = c.Values<T>("dy");
        T[] dyRow = c.Values<T>("dyRow");
        var y = new T[x.Length];
        var logY = new T[x.Length];
        var lse = new T[x.Length / classes];
        var dx = new T[x.Length];

        Softmax.Forward<T>(x, y, classes);
        Approx.Equal<T>(c.Values<T>("softmax"), y, relative, absolute, "softmax");

        LogSoftmax.Forward<T>(x, logY, classes);
        // PyTorch computes x − (max + log Σ) and so loses |max|·eps; allow for that on top of our own error.
        double maxAbs = x.Where(T.IsFinite).Select(v => Math.Abs(double.CreateTruncating(v))).DefaultIfEmpty(0).Max();
        Approx.Equal<T>(c.Values<T>("logSoftmax"), logY, relative, absolute + 4 * maxAbs * (typeof(T) == typeof(float) ? 1.2e-7 : 2.3e-16), "logSoftmax");

        LogSumExp.Forward<T>(x, lse, classes);
        Approx.Equal<T>(c.Values<T>("logSumExp"), lse, relative, absolute, "logSumExp");

        // Backward passes take the reference forward outputs, so that only the backward formula is under test.
        T[] refY = c.Values<T>("softmax");
        T[] refLogY = c.Values<T>("logSoftmax");
        double scale = dy.Select(v => Math.Abs(double.CreateTruncating(v))).DefaultIfEmpty(0).Max();
        Softmax.Backward<T>(refY, dy, dx, classes);
        Approx.Equal<T>(c.Values<T>("softmaxBackward"), dx, relative, absolute * 4 * scale, "softmaxBackward");
        LogSoftmax.Backward<T>(refLogY, dy, dx, classes);
        Approx.Equal<T>(c.Values<T>("logSoftmaxBackward"), dx, relative, absolute * 4 * scale * classes, "logSoftmaxBackward");
        LogSumExp.Backward<T>(x, c.Values<T>("logSumExp"), dyRow, dx, classes);
        Approx.Equal<T>(c.Values<T>("logSumExpBackward"), dx, relative, absolute * 4, "logSumExpBackward");
    }

    [Fact]
    public void Rows_are_independent()
    {
        float[] x = [float.NegativeInfinity, float.NegativeInfinity, float.NaN, 0, 1, 2];
        var y = new float[6];
        Softmax.Forward<float>(x, y, classCount: 2);
        Assert.True(float.IsNaN(y[0]) && float.IsNaN(y[3]));
        Assert.Equal(1f / (1 + MathF.E), y[4], 6);
    }

    [Fact]
    public void In_place_is_allowed_for_every_row_length()
    {
        var random = new Random(5);
        for (int n = 1; n <= 70; n++)
        {
            float[] x = [.. Enumerable.Range(0, 3 * n).Select(_ => (float)(random.NextDouble() * 20 - 10))];
            var expected = new float[x.Length];
            Softmax.Forward<float>(x, expected, n);
            float[] inPlace = [.. x];
            Softmax.Forward<float>(inPlace, inPlace, n);
            Assert.Equal(expected, inPlace);
            LogSoftmax.Forward<float>(x, expected, n);
            inPlace = [.. x];
            LogSoftmax.Forward<float>(inPlace, inPlace, n);
            Assert.Equal(expected, inPlace);
        }
    }

    [Fact]
    public void Empty_input_does_nothing()
    {
        Softmax.Forward<float>([], []);
        LogSoftmax.Forward<double>([], [], classCount: 3);
        Softmax.Backward<float>([], [], []);
        Assert.Equal(SoftmaxNormalizer.Empty<double>(), SoftmaxNormalizer.Of<double>([]));
    }

    [Fact]
    public void Bad_arguments_throw_naming_the_parameter()
    {
        var x = new float[6];
        var ex = Assert.Throws<ArgumentException>(() => Softmax.Forward<float>(x, new float[5]));
        Assert.Equal("destination", ex.ParamName);
        Assert.Contains("5", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => Softmax.Forward<float>(x, new float[6], classCount: 4));
        Assert.Equal("logits", ex.ParamName);
        Assert.Contains("6", ex.Message);
        var range = Assert.Throws<ArgumentOutOfRangeException>(() => LogSoftmax.Forward<float>(x, new float[6], classCount: 0));
        Assert.Equal("classCount", range.ParamName);
        ex = Assert.Throws<ArgumentException>(() => Softmax.Backward<float>(x, new float[5], new float[6]));
        Assert.Equal("outputGradient", ex.ParamName);
        ex = Assert.Throws<ArgumentException>(() => Softmax.Forward<float>(x.AsSpan(0, 4), x.AsSpan(1, 4)));
        Assert.Equal("destination", ex.ParamName);
        ex = Assert.Throws<ArgumentException>(() => LogSumExp.Forward<float>(x, new float[1], classCount: 3));
        Assert.Equal("destination", ex.ParamName);
        Assert.Throws<NotSupportedException>(() => Softmax.Forward<Half>([Half.One], new Half[1]));
    }

    [Fact]
    public void Allocates_nothing()
    {
        var x = new float[8 * 1000];
        var y = new float[x.Length];
        var rows = new float[8];
        var xd = new double[3 * 17];
        var yd = new double[xd.Length];
        Assert.Equal(0, Allocations.Of(() => Softmax.Forward<float>(x, y, 1000)));
        Assert.Equal(0, Allocations.Of(() => LogSoftmax.Forward<float>(x, y, 1000)));
        Assert.Equal(0, Allocations.Of(() => LogSumExp.Forward<float>(x, rows, 1000)));
        Assert.Equal(0, Allocations.Of(() => Softmax.Backward<float>(x, y, y, 1000)));
        Assert.Equal(0, Allocations.Of(() => LogSoftmax.Backward<float>(x, y, y, 1000)));
        Assert.Equal(0, Allocations.Of(() => LogSumExp.Backward<float>(x, rows, rows, y, 1000)));
        Assert.Equal(0, Allocations.Of(() => Softmax.Forward<double>(xd, yd, 17)));
        Assert.Equal(0, Allocations.Of(() => SoftmaxNormalizer.Of<double>(xd)));
    }

    [Fact]
    public void Normalizer_chunks_combine_to_the_whole()
    {
        var random = new Random(9);
        float[] x = [.. Enumerable.Range(0, 100_003).Select(_ => (float)(random.NextDouble() * 40 - 20))];
        var whole = SoftmaxNormalizer.Of<float>(x);
        var combined = SoftmaxNormalizer.Empty<float>();
        for (int start = 0; start < x.Length; start += 7_919)
        {
            combined = SoftmaxNormalizer.Combine(combined, SoftmaxNormalizer.Of<float>(x.AsSpan(start, Math.Min(7_919, x.Length - start))));
        }
        Assert.Equal(whole.Max, combined.Max);
        Approx.Equal(whole.LogSumExp, combined.LogSumExp, 1e-6);
        double exact = Math.Log(x.Sum(v => Math.Exp(v - whole.Max))) + whole.Max;
        Approx.Equal(exact, whole.LogSumExp, 2e-7);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(10)]
    [InlineData(16)]
    [InlineData(17)]
    [InlineData(100)]
    [InlineData(128)]
    [InlineData(129)]
    public void Batched_short_rows_equal_one_row_at_a_time(int classes)
    {
        // Batches of short rows take the rows-in-lanes block path; each row must match the single-row result, with
        // masked, fully masked, +∞ and NaN rows mixed in among ordinary ones, and a ragged number of rows.
        var random = new Random(classes);
        int rows = 53;
        foreach (bool single in new[] { true, false })
        {
            double[] x = [.. Enumerable.Range(0, rows * classes).Select(_ => random.NextDouble() * 40 - 20)];
            for (int c = 0; c < classes; c++)
            {
                x[(5 * classes) + c] = double.NegativeInfinity;
            }
            x[(7 * classes) + (classes / 2)] = double.NegativeInfinity;
            x[(11 * classes) + (classes - 1)] = double.PositiveInfinity;
            x[(13 * classes) + (classes / 3)] = double.NaN;
            x[(17 * classes)] = 1e4;
            if (single)
            {
                float[] xf = [.. x.Select(v => (float)v)];
                var batch = new float[rows];
                LogSumExp.Forward<float>(xf, batch, classes);
                for (int r = 0; r < rows; r++)
                {
                    Approx.Equal(LogSumExp.Forward<float>(xf.AsSpan(r * classes, classes)), batch[r], 4e-7, 1e-6, $"row {r}");
                }
            }
            else
            {
                var batch = new double[rows];
                LogSumExp.Forward<double>(x, batch, classes);
                for (int r = 0; r < rows; r++)
                {
                    Approx.Equal(LogSumExp.Forward<double>(x.AsSpan(r * classes, classes)), batch[r], 1e-15, 1e-15, $"row {r}");
                }
            }
        }
    }

    [Fact]
    public void Long_rows_sum_without_drift()
    {
        // 1M equal logits: every probability is exactly 1e-6 in real arithmetic; a naive float sum of 1M ones drifts
        // only at 2^24, so use values whose exps are not representable sums: a ramp.
        int n = 1 << 20;
        float[] x = [.. Enumerable.Range(0, n).Select(i => (float)(i % 1000) * 1e-3f)];
        double exact = 0;
        foreach (float v in x) exact += Math.Exp(v - 0.999);
        var normalizer = SoftmaxNormalizer.Of<float>(x);
        Assert.True(Math.Abs(normalizer.SumOfExp - exact) / exact < 4 * 6e-8, $"{normalizer.SumOfExp} vs {exact}");
    }
}
