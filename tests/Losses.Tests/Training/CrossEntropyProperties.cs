using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Losses.Tests;

/// <summary>Properties of CrossEntropy and NllLoss on random batches (FsCheck), against a plain double reference.</summary>
public class CrossEntropyProperties
{
    /// <summary>A random batch: shape, logits in [−20, 20] (some −∞), targets (some ignored), optional weights and smoothing.</summary>
    public sealed record Batch(int Rows, int Classes, double[] Logits, int[] Targets, double[] Weight, double Smoothing)
    {
        public override string ToString() => $"{Rows}x{Classes} weighted={Weight.Length > 0} smoothing={Smoothing} targets=[{string.Join(",", Targets)}]";
    }

    public static Arbitrary<Batch> Batches() =>
        (from rows in Gen.Choose(1, 40)
         from classes in Gen.Elements(1, 2, 3, 5, 8, 10, 16, 17, 31, 32, 33, 64, 100, 128, 129, 200, 1500)
         from seed in Gen.Choose(0, int.MaxValue)
         from weighted in Gen.Elements(false, true)
         from smoothing in Gen.Elements(0.0, 0.0, 0.1, 0.3)
         from masked in Gen.Elements(false, false, true)
         select Make(rows, classes, seed, weighted, smoothing, masked)).ToArbitrary();

    private static Batch Make(int rows, int classes, int seed, bool weighted, double smoothing, bool masked)
    {
        var random = new Random(seed);
        double[] x = [.. Enumerable.Range(0, rows * classes).Select(_ => (random.NextDouble() * 40) - 20)];
        int[] t = [.. Enumerable.Range(0, rows).Select(_ => random.Next(8) == 0 ? -100 : random.Next(classes))];
        if (masked && smoothing == 0)
        {
            for (int i = 0; i < x.Length; i++)
            {
                if (random.Next(7) == 0 && i % classes != t[i / classes] && (t[i / classes] >= 0 || true))
                {
                    x[i] = double.NegativeInfinity;
                }
            }
        }
        double[] w = weighted ? [.. Enumerable.Range(0, classes).Select(_ => 0.1 + (random.NextDouble() * 2))] : [];
        return new Batch(rows, classes, x, t, w, smoothing);
    }

    /// <summary>The plain double reference: per-row losses and the gradient of Σ losses.</summary>
    public static (double[] Losses, double[] Gradient, double Divisor) Naive(Batch b)
    {
        int c = b.Classes;
        var losses = new double[b.Rows];
        var grad = new double[b.Logits.Length];
        double divisor = 0;
        for (int r = 0; r < b.Rows; r++)
        {
            int t = b.Targets[r];
            if (t == -100)
            {
                continue;
            }
            var x = b.Logits.AsSpan(r * c, c);
            double max = double.NegativeInfinity;
            foreach (double v in x) max = Math.Max(max, v);
            double sum = 0;
            foreach (double v in x) sum += Math.Exp(v - max);
            double lse = max + Math.Log(sum);
            double W(int k) => b.Weight.Length == 0 ? 1 : b.Weight[k];
            double eps = b.Smoothing;
            double loss = (1 - eps) * W(t) * (lse - x[t]);
            double wsum = 0;
            for (int k = 0; k < c; k++)
            {
                wsum += W(k);
                if (eps > 0) loss += eps / c * W(k) * (lse - x[k]);
            }
            losses[r] = loss;
            divisor += W(t);
            for (int k = 0; k < c; k++)
            {
                double p = Math.Exp(x[k] - lse);
                grad[(r * c) + k] = ((1 - eps) * W(t) * (p - (k == t ? 1 : 0))) + (eps / c * ((wsum * p) - W(k)));
            }
        }
        return (losses, grad, divisor);
    }

    [Property(Arbitrary = [typeof(CrossEntropyProperties)], MaxTest = 150)]
    public void Matches_the_plain_reference_in_double_and_float(Batch b)
    {
        var (expectedLosses, expectedGradient, divisor) = Naive(b);
        var losses = new double[b.Rows];
        var grad = new double[b.Logits.Length];
        double sum = CrossEntropy.Forward<double>(b.Logits, b.Targets, b.Classes, grad, Reduction.None, losses, b.Weight, -100, b.Smoothing);
        Approx.Equal<double>(expectedLosses, losses, 1e-12, 1e-12, "losses");
        Approx.Equal<double>(expectedGradient, grad, 1e-12, 1e-12, "gradient");
        Assert.Equal(expectedLosses.Sum(), sum, 1e-10);

        float[] xf = [.. b.Logits.Select(v => (float)v)];
        float[] wf = [.. b.Weight.Select(v => (float)v)];
        var gf = new float[xf.Length];
        var lf = new float[b.Rows];
        CrossEntropy.Forward<float>(xf, b.Targets, b.Classes, gf, Reduction.None, lf, wf, -100, (float)b.Smoothing);
        Approx.Equal<float>([.. losses.Select(v => (float)v)], lf, 2e-5, 2e-5, "float losses");
        Approx.Equal<float>([.. grad.Select(v => (float)v)], gf, 2e-5, 2e-6, "float gradient");
    }

    [Property(Arbitrary = [typeof(CrossEntropyProperties)], MaxTest = 100)]
    public void Mean_is_sum_over_divisor_and_gradients_scale_alike(Batch b)
    {
        var gSum = new double[b.Logits.Length];
        var gMean = new double[b.Logits.Length];
        double sum = CrossEntropy.Forward<double>(b.Logits, b.Targets, b.Classes, gSum, Reduction.Sum, default, b.Weight, -100, b.Smoothing);
        double mean = CrossEntropy.Forward<double>(b.Logits, b.Targets, b.Classes, gMean, Reduction.Mean, default, b.Weight, -100, b.Smoothing);
        double divisor = Naive(b).Divisor;
        if (divisor == 0)
        {
            Assert.True(double.IsNaN(mean));
            return;
        }
        Assert.Equal(sum / divisor, mean, 1e-12 * Math.Max(1, Math.Abs(mean)));
        Approx.Equal<double>([.. gSum.Select(v => v / divisor)], gMean, 1e-12, 1e-14, "gradient");
    }

    [Property(Arbitrary = [typeof(CrossEntropyProperties)], MaxTest = 60)]
    public void Gradient_is_the_central_finite_difference(Batch b)
    {
        double[] x = [.. b.Logits.Select(v => double.IsFinite(v) ? v : -30)];
        var grad = new double[x.Length];
        CrossEntropy.Forward<double>(x, b.Targets, b.Classes, grad, Reduction.Mean, default, b.Weight, -100, b.Smoothing);
        if (Naive(b with { Logits = x }).Divisor == 0)
        {
            return;
        }
        const double h = 1e-5;
        for (int i = 0; i < x.Length; i += Math.Max(1, x.Length / 17))
        {
            double saved = x[i];
            x[i] = saved + h;
            double up = CrossEntropy.Forward<double>(x, b.Targets, b.Classes, default, Reduction.Mean, default, b.Weight, -100, b.Smoothing);
            x[i] = saved - h;
            double down = CrossEntropy.Forward<double>(x, b.Targets, b.Classes, default, Reduction.Mean, default, b.Weight, -100, b.Smoothing);
            x[i] = saved;
            Assert.Equal((up - down) / (2 * h), grad[i], 1e-6);
        }
    }

    [Property(Arbitrary = [typeof(CrossEntropyProperties)], MaxTest = 100)]
    public void One_hot_soft_targets_equal_integer_targets(Batch b)
    {
        if (b.Targets.Any(t => t < 0))
        {
            b = b with { Targets = [.. b.Targets.Select(t => Math.Max(t, 0))] };
        }
        var oneHot = new double[b.Logits.Length];
        for (int r = 0; r < b.Rows; r++) oneHot[(r * b.Classes) + b.Targets[r]] = 1;
        var g1 = new double[oneHot.Length];
        var g2 = new double[oneHot.Length];
        double hard = CrossEntropy.Forward<double>(b.Logits, b.Targets, b.Classes, g1, Reduction.Sum, default, b.Weight, -100, b.Smoothing);
        double soft = CrossEntropy.ForwardWithProbabilities<double>(b.Logits, oneHot, b.Classes, g2, Reduction.Sum, default, b.Weight, b.Smoothing);
        if (double.IsInfinity(hard) || double.IsNaN(soft))
        {
            return; // −∞ logits: 0·∞ in the soft form, as PyTorch
        }
        Assert.Equal(hard, soft, 1e-10 * Math.Max(1, Math.Abs(hard)));
        Approx.Equal<double>(g1, g2, 1e-12, 1e-12, "gradient");
    }

    [Property(Arbitrary = [typeof(CrossEntropyProperties)], MaxTest = 60)]
    public void Label_smoothing_zero_equals_none_and_nll_of_log_softmax_agrees(Batch b)
    {
        double plain = CrossEntropy.Forward<double>(b.Logits, b.Targets, b.Classes, weight: b.Weight);
        double zero = CrossEntropy.Forward<double>(b.Logits, b.Targets, b.Classes, weight: b.Weight, labelSmoothing: 0.0);
        Assert.Equal(BitConverter.DoubleToInt64Bits(plain), BitConverter.DoubleToInt64Bits(zero));
        var logP = new double[b.Logits.Length];
        LogSoftmax.Forward<double>(b.Logits, logP, b.Classes);
        double nll = NllLoss.Forward<double>(logP, b.Targets, b.Classes, weight: b.Weight);
        if (double.IsFinite(plain))
        {
            Assert.Equal(plain, nll, 1e-10 * Math.Max(1, Math.Abs(plain)));
        }
    }

    [Fact]
    [Trait("Category", "SlowOnScalar")]
    public void Multi_core_equals_single_core_bit_for_bit()
    {
        foreach (var (rows, classes) in new[] { (3000, 10), (700, 100), (40, 5000), (3, 40000) })
        {
            var b = Make(rows, classes, rows, weighted: true, smoothing: 0.1, masked: false);
            float[] x = [.. b.Logits.Select(v => (float)v)];
            float[] w = [.. b.Weight.Select(v => (float)v)];
            var g1 = new float[x.Length];
            var g2 = new float[x.Length];
            var g3 = new float[x.Length];
            float one = CrossEntropy.Forward<float>(x, b.Targets, classes, g1, weight: w, labelSmoothing: 0.1f);
            float two = CrossEntropy.Forward<float>(x, b.Targets, classes, g2, weight: w, labelSmoothing: 0.1f, maxDegreeOfParallelism: 2);
            float all = CrossEntropy.Forward<float>(x, b.Targets, classes, g3, weight: w, labelSmoothing: 0.1f, maxDegreeOfParallelism: -1);
            Assert.Equal(BitConverter.SingleToInt32Bits(one), BitConverter.SingleToInt32Bits(two));
            Assert.Equal(BitConverter.SingleToInt32Bits(one), BitConverter.SingleToInt32Bits(all));
            Assert.Equal(g1, g2);
            Assert.Equal(g1, g3);
            float plain1 = CrossEntropy.Forward<float>(x, b.Targets, classes, g1);
            float plain2 = CrossEntropy.Forward<float>(x, b.Targets, classes, g2, maxDegreeOfParallelism: 2);
            Assert.Equal(BitConverter.SingleToInt32Bits(plain1), BitConverter.SingleToInt32Bits(plain2));
            Assert.Equal(g1, g2);
            double[] y = [.. Enumerable.Range(0, x.Length).Select(i => (double)(i % 2))];
            double[] xd = b.Logits;
            double m1 = BinaryCrossEntropy.ForwardWithLogits<double>(xd, y);
            double m2 = BinaryCrossEntropy.ForwardWithLogits<double>(xd, y, maxDegreeOfParallelism: 2);
            Assert.Equal(BitConverter.DoubleToInt64Bits(m1), BitConverter.DoubleToInt64Bits(m2));
        }
    }
}
