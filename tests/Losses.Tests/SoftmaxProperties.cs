using System.Runtime.Intrinsics;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Losses.Kernels;

namespace Losses.Tests;

/// <summary>Properties of the softmax family on random rows (FsCheck).</summary>
public class SoftmaxProperties
{
    /// <summary>Rows of 1–80 finite logits in [−50, 50], sometimes with masked (−∞) entries.</summary>
    public static Arbitrary<double[]> Logits() =>
        Gen.Choose(1, 80).SelectMany(n =>
            Gen.ArrayOf(Gen.Frequency(
                (9, Gen.Choose(-50_000, 50_000).Select(i => i / 1000.0)),
                (1, Gen.Constant(double.NegativeInfinity))), n))
        .Where(row => row.Any(double.IsFinite))
        .ToArbitrary();

    [Property(Arbitrary = [typeof(SoftmaxProperties)], MaxTest = 200)]
    public void Softmax_sums_to_one_and_is_nonnegative(double[] x)
    {
        var y = new double[x.Length];
        Softmax.Forward<double>(x, y);
        Assert.All(y, v => Assert.InRange(v, 0, 1));
        Assert.Equal(1.0, y.Sum(), 1e-13);

        float[] xf = [.. x.Select(v => (float)v)];
        var yf = new float[x.Length];
        Softmax.Forward<float>(xf, yf);
        Assert.Equal(1.0, yf.Sum(v => (double)v), 1e-5);
    }

    [Property(Arbitrary = [typeof(SoftmaxProperties)], MaxTest = 200)]
    public void Softmax_is_invariant_to_adding_a_constant(double[] x)
    {
        var y = new double[x.Length];
        var shifted = new double[x.Length];
        Softmax.Forward<double>(x, y);
        Softmax.Forward<double>([.. x.Select(v => v + 123.25)], shifted);
        Approx.Equal<double>(y, shifted, 1e-12, 1e-300);
    }

    [Property(Arbitrary = [typeof(SoftmaxProperties)], MaxTest = 200)]
    public void LogSoftmax_is_log_of_softmax_and_lse_is_consistent(double[] x)
    {
        var y = new double[x.Length];
        var logY = new double[x.Length];
        Softmax.Forward<double>(x, y);
        LogSoftmax.Forward<double>(x, logY);
        double lse = LogSumExp.Forward<double>(x);
        for (int i = 0; i < x.Length; i++)
        {
            if (y[i] > 1e-300)
            {
                Assert.Equal(Math.Log(y[i]), logY[i], 1e-12 * Math.Max(1, Math.Abs(logY[i])));
            }
            Assert.Equal(x[i] - lse, logY[i], 1e-12 * Math.Max(1, Math.Abs(x[i])));
        }
    }

    [Property(Arbitrary = [typeof(SoftmaxProperties)], MaxTest = 100)]
    public void Backward_passes_equal_central_finite_differences(double[] x)
    {
        x = [.. x.Select(v => double.IsFinite(v) ? v / 10 : v)];
        int n = x.Length;
        var random = new Random(n);
        // Masked outputs are −∞ for log-softmax; a finite loss gives them no weight.
        double[] dy = [.. Enumerable.Range(0, n).Select(i => double.IsFinite(x[i]) ? random.NextDouble() * 2 - 1 : 0)];
        var y = new double[n];
        var logY = new double[n];
        var dxSoftmax = new double[n];
        var dxLogSoftmax = new double[n];
        var dxLse = new double[n];
        Softmax.Forward<double>(x, y);
        LogSoftmax.Forward<double>(x, logY);
        Softmax.Backward<double>(y, dy, dxSoftmax);
        LogSoftmax.Backward<double>(logY, dy, dxLogSoftmax);
        LogSumExp.Backward<double>(x, LogSumExp.Forward<double>(x), 0.75, dxLse);

        const double h = 1e-6;
        var xp = new double[n];
        var tmp = new double[n];
        for (int i = 0; i < n; i++)
        {
            if (!double.IsFinite(x[i])) continue;
            x.CopyTo(xp, 0);
            xp[i] = x[i] + h;
            double up = Dot(xp, Softmax.Forward, dy, tmp), upLog = Dot(xp, LogSoftmax.Forward, dy, tmp), upLse = LogSumExp.Forward<double>(xp);
            xp[i] = x[i] - h;
            double down = Dot(xp, Softmax.Forward, dy, tmp), downLog = Dot(xp, LogSoftmax.Forward, dy, tmp), downLse = LogSumExp.Forward<double>(xp);
            Assert.Equal((up - down) / (2 * h), dxSoftmax[i], 1e-6);
            Assert.Equal((upLog - downLog) / (2 * h), dxLogSoftmax[i], 1e-6);
            Assert.Equal(0.75 * (upLse - downLse) / (2 * h), dxLse[i], 1e-6);
        }

        static double Dot(double[] input, SpanAction forward, double[] weights, double[] buffer)
        {
            forward(input, buffer);
            double s = 0;
            for (int i = 0; i < buffer.Length; i++) if (weights[i] != 0 && double.IsFinite(buffer[i])) s += weights[i] * buffer[i];
            return s;
        }
    }

    private delegate void SpanAction(ReadOnlySpan<double> input, Span<double> output);

    [Property(Arbitrary = [typeof(SoftmaxProperties)], MaxTest = 200)]
    public void Float_and_double_agree(double[] x)
    {
        float[] xf = [.. x.Select(v => (float)v)];
        double[] xd = [.. xf.Select(v => (double)v)];
        var yf = new float[x.Length];
        var yd = new double[x.Length];
        LogSoftmax.Forward<float>(xf, yf);
        LogSoftmax.Forward<double>(xd, yd);
        for (int i = 0; i < x.Length; i++)
        {
            Approx.Equal(yd[i], yf[i], 1e-6, 1e-5, $"logSoftmax[{i}]");
        }
        Softmax.Forward<float>(xf, yf);
        Softmax.Forward<double>(xd, yd);
        Approx.Equal<double>(yd, [.. yf.Select(v => (double)v)], 1e-6, 1e-7, "softmax");
    }

    [Property(Arbitrary = [typeof(SoftmaxProperties)], MaxTest = 200)]
    public void Every_width_agrees_with_the_scalar_path(double[] x)
    {
        float[] xf = [.. x.Select(v => (float)v)];
        var scalar = Rows<Scalar<float>, float, float>.Normalizer(in xf[0], xf.Length);
        Check(Rows<V128<float>, Vector128<float>, float>.Normalizer, 4);
        Check(Rows<V256<float>, Vector256<float>, float>.Normalizer, 8);
        if (Vector512.IsHardwareAccelerated) Check(Rows<V512<float>, Vector512<float>, float>.Normalizer, 16);

        void Check(Normalize normalize, int width)
        {
            if (xf.Length < width) return;
            var wide = normalize(in xf[0], xf.Length);
            Assert.Equal(scalar.Max, wide.Max);
            Approx.Equal(scalar.SumOfExp, wide.SumOfExp, 4e-7);
        }
    }

    private delegate SoftmaxNormalizer<float> Normalize(ref readonly float x, int length);
}
