using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Losses.Tests;

/// <summary>Properties of the elementwise losses (BCE, BCE with logits, focal, KL, MSE, Huber, smooth L1): gradients are
/// central finite differences, Mean = Sum / n, float agrees with double, multi-core equals single-core.</summary>
public class ElementwiseLossProperties
{
    public delegate double Loss(double[] x, double[] y, Span<double> gradient, Reduction reduction, int threads);

    public delegate float LossF(float[] x, float[] y, Reduction reduction);

    private static readonly (string Name, Loss Double, LossF Single, bool Probabilities)[] All =
    [
        ("bce", (x, y, g, r, t) => BinaryCrossEntropy.Forward<double>(x, y, g, r, maxDegreeOfParallelism: t), (x, y, r) => BinaryCrossEntropy.Forward<float>(x, y, reduction: r), true),
        ("bce-logits", (x, y, g, r, t) => BinaryCrossEntropy.ForwardWithLogits<double>(x, y, g, r, maxDegreeOfParallelism: t), (x, y, r) => BinaryCrossEntropy.ForwardWithLogits<float>(x, y, reduction: r), false),
        ("bce-logits-pw", (x, y, g, r, t) => BinaryCrossEntropy.ForwardWithLogits<double>(x, y, g, r, posWeight: PosWeight(x.Length), maxDegreeOfParallelism: t),
            (x, y, r) => BinaryCrossEntropy.ForwardWithLogits<float>(x, y, reduction: r, posWeight: [.. PosWeight(x.Length).Select(v => (float)v)]), false),
        ("focal", (x, y, g, r, t) => FocalLoss.Forward<double>(x, y, g, r, maxDegreeOfParallelism: t), (x, y, r) => FocalLoss.Forward<float>(x, y, reduction: r), false),
        ("focal-g1.5", (x, y, g, r, t) => FocalLoss.Forward<double>(x, y, g, r, alpha: -1, gamma: 1.5, maxDegreeOfParallelism: t), (x, y, r) => FocalLoss.Forward<float>(x, y, reduction: r, alpha: -1, gamma: 1.5), false),
        ("mse", (x, y, g, r, t) => MeanSquaredError.Forward<double>(x, y, g, r, maxDegreeOfParallelism: t), (x, y, r) => MeanSquaredError.Forward<float>(x, y, reduction: r), false),
        ("huber", (x, y, g, r, t) => HuberLoss.Forward<double>(x, y, g, r, delta: 0.7, maxDegreeOfParallelism: t), (x, y, r) => HuberLoss.Forward<float>(x, y, reduction: r, delta: 0.7), false),
        ("smoothl1", (x, y, g, r, t) => SmoothL1Loss.Forward<double>(x, y, g, r, beta: 0.7, maxDegreeOfParallelism: t), (x, y, r) => SmoothL1Loss.Forward<float>(x, y, reduction: r, beta: 0.7), false),
        ("kl", (x, y, g, r, t) => KLDivLoss.Forward<double>(x, y, 1, g, r, maxDegreeOfParallelism: t), (x, y, r) => KLDivLoss.Forward<float>(x, y, 1, reduction: r), true),
    ];

    public static TheoryData<string> Names => [.. All.Select(a => a.Name)];

    private static double[] PosWeight(int n) => [.. Enumerable.Range(0, n % 3 == 0 ? 3 : 1).Select(i => 0.5 + i)];

    public static Arbitrary<(int Seed, int Length)> Inputs() =>
        (from seed in Gen.Choose(0, int.MaxValue)
         from length in Gen.Elements(1, 2, 3, 7, 8, 9, 15, 16, 17, 33, 63, 300)
         select (seed, length)).ToArbitrary();

    private static (double[] X, double[] Y) Make(int seed, int length, bool probabilities)
    {
        var random = new Random(seed);
        double[] x = [.. Enumerable.Range(0, length).Select(_ => probabilities ? 0.02 + (0.96 * random.NextDouble()) : (random.NextDouble() * 12) - 6)];
        double[] y = [.. Enumerable.Range(0, length).Select(_ => random.Next(3) == 0 ? random.NextDouble() : random.Next(2))];
        return (x, y);
    }

    [Property(Arbitrary = [typeof(ElementwiseLossProperties)], MaxTest = 40)]
    public void Gradients_are_central_finite_differences_and_mean_is_sum_over_n((int Seed, int Length) input)
    {
        foreach (var (name, loss, single, probabilities) in All)
        {
            var (x, y) = Make(input.Seed, input.Length, probabilities);
            var gradient = new double[x.Length];
            double mean = loss(x, y, gradient, Reduction.Mean, 1);
            double sum = loss(x, y, default, Reduction.Sum, 1);
            Assert.True(Math.Abs((sum / x.Length) - mean) <= 1e-13 * Math.Max(1, Math.Abs(mean)), $"{name}: mean {mean} sum {sum}");
            const double h = 1e-6;
            for (int i = 0; i < x.Length; i += Math.Max(1, x.Length / 9))
            {
                double saved = x[i];
                x[i] = saved + h;
                double up = loss(x, y, default, Reduction.Mean, 1);
                x[i] = saved - h;
                double down = loss(x, y, default, Reduction.Mean, 1);
                x[i] = saved;
                double fd = (up - down) / (2 * h);
                Assert.True(Math.Abs(fd - gradient[i]) <= 1e-6 * Math.Max(1, Math.Abs(fd)), $"{name}[{i}]: finite difference {fd}, gradient {gradient[i]}");
            }
            float[] xf = [.. x.Select(v => (float)v)];
            float[] yf = [.. y.Select(v => (float)v)];
            double f = single(xf, yf, Reduction.Sum);
            Assert.True(Math.Abs(f - sum) <= 1e-5 * Math.Max(1, Math.Abs(sum)), $"{name}: float {f} double {sum}");
        }
    }

    [Fact]
    [Trait("Category", "SlowOnScalar")]
    public void Multi_core_equals_single_core_bit_for_bit()
    {
        foreach (var (name, loss, _, probabilities) in All)
        {
            var (x, y) = Make(7, 300_000, probabilities);
            var g1 = new double[x.Length];
            var g2 = new double[x.Length];
            double one = loss(x, y, g1, Reduction.Mean, 1);
            double two = loss(x, y, g2, Reduction.Mean, 2);
            Assert.True(BitConverter.DoubleToInt64Bits(one) == BitConverter.DoubleToInt64Bits(two), name);
            Assert.Equal(g1, g2);
        }
    }
}
