using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Losses.Tests;

/// <summary>
/// FsCheck sweeps over extreme magnitudes (subnormals, 1e±30, ±MaxValue/2, mixed ±∞ and NaN): float results against a
/// double reference written here (double has the range and precision to be exact enough for every float input).
/// </summary>
public class ExtremeMagnitudeStabilityTests
{
    private static readonly float[] Palette =
        [0f, 1f, -1f, float.Epsilon, -float.Epsilon, 1e-40f, 1e-30f, -1e-30f, 1e30f, -1e30f, float.MaxValue / 2, -float.MaxValue / 2, 17f, -17f, 88f, -88f, 1e4f, -1e4f];

    private static readonly float[] Specials = [float.NaN, float.PositiveInfinity, float.NegativeInfinity];

    private static Gen<float> Value(bool specials) =>
        Gen.Frequency(
            (6, Gen.Elements(Palette)),
            (6, Gen.Choose(-100_000, 100_000).Select(i => i / 1000f)),
            (specials ? 1 : 0, Gen.Elements(Specials)));

    public static Arbitrary<float[]> Rows() =>
        (from length in Gen.Choose(1, 40)
         from values in Gen.ArrayOf(Value(specials: false), length)
         select values).ToArbitrary();

    public static Arbitrary<(float[] X, float[] Y)> Pairs() =>
        (from length in Gen.Choose(1, 40)
         from x in Gen.ArrayOf(Value(specials: true), length)
         from y in Gen.ArrayOf(Gen.Elements(0f, 1f, 0.25f, 0.5f, 0.9f), length)
         select (x, y)).ToArbitrary();

    public static Arbitrary<(float[] P, float[] Q, bool Counts)> Counts() =>
        (from length in Gen.Choose(1, 40)
         from scaleP in Gen.Elements(float.Epsilon, 1e-40f, 1e-30f, 1f, 1e30f, float.MaxValue / 64)
         from scaleQ in Gen.Elements(float.Epsilon, 1e-40f, 1e-30f, 1f, 1e30f, float.MaxValue / 64)
         from p in Gen.ArrayOf(Gen.Choose(0, 8), length)
         from q in Gen.ArrayOf(Gen.Choose(1, 8), length)
         select ((float[])[.. p.Select(v => v * scaleP)], (float[])[.. q.Select(v => v * scaleQ)], true)).ToArbitrary();

    private static double LogSumExpOf(ReadOnlySpan<float> x)
    {
        double max = double.NegativeInfinity;
        foreach (float v in x)
        {
            max = Math.Max(max, v);
        }
        if (double.IsNegativeInfinity(max))
        {
            return max;
        }
        double sum = 0;
        foreach (float v in x)
        {
            sum += Math.Exp(v - max);
        }
        return max + Math.Log(sum);
    }

    [Property(Arbitrary = [typeof(ExtremeMagnitudeStabilityTests)], MaxTest = 300)]
    public void Log_sum_exp_softmax_and_log_softmax_match_the_double_reference(float[] x)
    {
        double lse = LogSumExpOf(x);
        float actual = LogSumExp.Forward<float>(x);
        Assert.True(Math.Abs(actual - lse) <= 4e-7 * Math.Max(1, Math.Abs(lse)), $"lse {actual:R} vs {lse:R}");
        var probabilities = new float[x.Length];
        var logProbabilities = new float[x.Length];
        Softmax.Forward<float>(x, probabilities, x.Length);
        LogSoftmax.Forward<float>(x, logProbabilities, x.Length);
        double max = x.Max();
        double sum = x.Sum(v => Math.Exp(v - max));
        for (int i = 0; i < x.Length; i++)
        {
            double logP = x[i] - max - Math.Log(sum);
            // exp carries the rounding of x − max: relative error ≤ (4 + |log p|) float epsilons.
            Assert.True(Math.Abs(probabilities[i] - Math.Exp(logP)) <= ((4 + Math.Abs(logP)) * 1.2e-7 * Math.Exp(logP)) + 3e-45, $"p[{i}] {probabilities[i]:R} vs {Math.Exp(logP):R}");
            Assert.True(Math.Abs(logProbabilities[i] - logP) <= 4e-7 * Math.Max(Math.Max(1, Math.Abs(logP)), Math.Abs(lse)), $"log p[{i}] {logProbabilities[i]:R} vs {logP:R}");
        }
    }

    [Property(Arbitrary = [typeof(ExtremeMagnitudeStabilityTests)], MaxTest = 300)]
    public void Cross_entropy_matches_the_double_reference(float[] x)
    {
        int target = x.Length / 2;
        double expected = LogSumExpOf(x) - x[target];
        float actual = CrossEntropy.Forward<float>(x, [target], x.Length);
        Assert.True(Math.Abs(actual - expected) <= 1e-6 * Math.Max(Math.Max(1, Math.Abs(expected)), Math.Abs(LogSumExpOf(x))), $"{actual:R} vs {expected:R}");
    }

    [Property(Arbitrary = [typeof(ExtremeMagnitudeStabilityTests)], MaxTest = 300)]
    public void Binary_cross_entropy_with_logits_and_focal_match_the_double_reference((float[] X, float[] Y) row)
    {
        var losses = new float[row.X.Length];
        var gradient = new float[row.X.Length];
        BinaryCrossEntropy.ForwardWithLogits<float>(row.X, row.Y, gradient, Reduction.Sum, default);
        BinaryCrossEntropy.ForwardWithLogits<float>(row.X, row.Y, default, Reduction.None, losses);
        var focal = new float[row.X.Length];
        FocalLoss.Forward<float>(row.X, row.Y, default, Reduction.None, focal, alpha: -1, gamma: 2);
        for (int i = 0; i < row.X.Length; i++)
        {
            float x = row.X[i];
            float y = row.Y[i];
            if (float.IsNaN(x))
            {
                Assert.True(float.IsNaN(losses[i]) && float.IsNaN(gradient[i]) && float.IsNaN(focal[i]));
                continue;
            }
            double expected = float.IsInfinity(x)
                ? ((x > 0 ? 1 - y : y) == 0 ? 0 : double.PositiveInfinity)
                : BinaryCrossEntropyStabilityTests.Bce(x, y);
            double expectedGradient = float.IsInfinity(x) ? (x > 0 ? 1 - y : -y) : BinaryCrossEntropyStabilityTests.BceGradient(x, y);
            Assert.True(Approx.Ulps((float)expected, losses[i]) <= 6, $"x={x:R} y={y}: loss {losses[i]:R} vs {expected:R}");
            double scale = float.IsInfinity(x) ? 0 : Math.Max(BinaryCrossEntropyStabilityTests.Sigmoid(x), BinaryCrossEntropyStabilityTests.Sigmoid(-x));
            bool hard = y is 0 or 1;
            Assert.True(hard ? Approx.Ulps((float)expectedGradient, gradient[i]) <= 4 : Math.Abs(gradient[i] - expectedGradient) <= 3e-7 * scale,
                $"x={x:R} y={y}: gradient {gradient[i]:R} vs {expectedGradient:R}");
            if (!float.IsInfinity(x) && hard)
            {
                double m = y == 1 ? BinaryCrossEntropyStabilityTests.Sigmoid(-x) : BinaryCrossEntropyStabilityTests.Sigmoid(x);
                double expectedFocal = expected * m * m;
                long bound = 8 + (long)(4 * Math.Abs(Math.Log(Math.Max(m, 1e-300))));
                Assert.True((float)expectedFocal == 0 ? focal[i] <= float.Epsilon * 4 : Approx.Ulps((float)expectedFocal, focal[i]) <= bound,
                    $"x={x:R} y={y}: focal {focal[i]:R} vs {expectedFocal:R}");
            }
        }
    }

    [Property(Arbitrary = [typeof(ExtremeMagnitudeStabilityTests)], MaxTest = 300)]
    public void Entropy_kl_and_js_from_counts_match_the_double_reference((float[] P, float[] Q, bool Counts) counts)
    {
        double sumP = counts.P.Sum(v => (double)v);
        double sumQ = counts.Q.Sum(v => (double)v);
        double entropy = 0;
        double kl = 0;
        double js = 0;
        for (int i = 0; i < counts.P.Length; i++)
        {
            double p = counts.P[i] / sumP;
            double q = counts.Q[i] / sumQ;
            double m = (p + q) / 2;
            entropy -= p > 0 ? p * Math.Log(p) : 0;
            kl += p > 0 ? p * Math.Log(p / q) : 0;
            js += (p > 0 ? p * Math.Log(p / m) : 0) + (q > 0 ? q * Math.Log(q / m) : 0);
        }
        js /= 2;
        if (sumP == 0)
        {
            Assert.True(float.IsNaN(Entropy.FromCounts<float>(counts.P)));
            return;
        }
        Assert.Equal(entropy, Entropy.FromCounts<float>(counts.P), 2e-6 * Math.Max(1, entropy));
        Assert.Equal(kl, KLDivergence.FromCounts<float>(counts.P, counts.Q), 2e-6 * Math.Max(1, kl));
        float jsActual = JensenShannon.Divergence<float>(counts.P, counts.Q);
        Assert.Equal(js, jsActual, 2e-6);
        Assert.InRange(jsActual, 0, (float)Math.Log(2));
        // Double counts down to subnormals (1e-280 × float counts), against the same counts scaled exactly by 2^600.
        double[] pd = [.. counts.P.Select(v => v * 1e-280)];
        double[] scaled = [.. pd.Select(v => Math.ScaleB(v, 600))];
        double total = scaled.Sum();
        double entropyD = -scaled.Sum(v => v > 0 ? v / total * Math.Log(v / total) : 0);
        if (total > 0)
        {
            Assert.Equal(entropyD, Entropy.FromCounts<double>(pd), 1e-13 * Math.Max(1, entropyD));
        }
    }

    [Property(Arbitrary = [typeof(ExtremeMagnitudeStabilityTests)], MaxTest = 200)]
    public void Distillation_matches_the_double_reference(float[] teacher)
    {
        float[] student = [.. teacher.Reverse()];
        foreach (double temperature in (double[])[1, 3, 0.7])
        {
            double expected = 0;
            double maxT = teacher.Max();
            double maxS = student.Max();
            double sumT = teacher.Sum(v => Math.Exp((v - maxT) / temperature));
            double sumS = student.Sum(v => Math.Exp((v - maxS) / temperature));
            for (int i = 0; i < teacher.Length; i++)
            {
                double logP = ((teacher[i] - maxT) / temperature) - Math.Log(sumT);
                double logQ = ((student[i] - maxS) / temperature) - Math.Log(sumS);
                expected += Math.Exp(logP) == 0 ? 0 : Math.Exp(logP) * (logP - logQ);
            }
            float actual = KLDivergence.FromLogits<float>(teacher, student, temperature);
            if (Math.Abs(expected) > float.MaxValue / 4)
            {
                continue; // within a factor 4 of MaxValue the float intermediates (x − max)/T may overflow
            }
            Assert.True(Math.Abs(actual - expected) <= 2e-6 * Math.Max(1, Math.Abs(expected)) + (1e-6 * Math.Abs(maxT - teacher.Min()) / temperature * 1e-1),
                $"T={temperature}: {actual:R} vs {expected:R}");
        }
    }
}
