namespace Losses.Tests;

/// <summary>
/// Entropy, KL and Jensen–Shannon at the edges of the number range: counts whose sum overflows or whose reciprocal sum
/// overflows (normalised by a power of two), a Jensen–Shannon midpoint that would underflow, distillation logits whose
/// max/T rounding would reach the exponent, and temperatures whose 1/T or T² is not a normal number.
/// </summary>
public class DistributionStabilityTests
{
    public static TheoryData<float> FloatScales => [1e-40f, 1e-45f, 3e38f, float.MaxValue, 1.5e-38f, 1f];

    public static TheoryData<double> DoubleScales => [1e-310, double.Epsilon, 1e308, double.MaxValue, 2.3e-308, 1];

    [Theory]
    [MemberData(nameof(FloatScales))]
    public void Float_counts_of_any_magnitude_normalise(float c)
    {
        Assert.Equal(Math.Log(2), Entropy.FromCounts<float>([c, c]), 6e-7);
        Assert.Equal(1.0, InformationGain.EntropyOfCounts<float>([c, c], logBase: 2), 1e-6);
        Assert.Equal(0.0, KLDivergence.FromCounts<float>([c, c], [c, c]), 1e-7);
        Assert.Equal(Math.Log(3), Entropy.FromCounts<float>([c, 0, c, c]), 1e-6);
        // p = [1, 0] and q = [½, ½] after normalisation, each row scaled on its own.
        Assert.Equal(Math.Log(2), KLDivergence.FromCounts<float>([c, 0], [c, c]), 1e-6);
        Assert.Equal(Math.Log(2), KLDivergence.FromCounts<float>([1, 0], [c, c]), 1e-6);
        Assert.Equal(Math.Log(2), JensenShannon.Divergence<float>([c, 0], [0, c]), 1e-6);
    }

    [Theory]
    [MemberData(nameof(DoubleScales))]
    public void Double_counts_of_any_magnitude_normalise(double c)
    {
        Assert.Equal(Math.Log(2), Entropy.FromCounts<double>([c, c]), 1e-15);
        Assert.Equal(1.0, InformationGain.EntropyOfCounts<double>([c, c], logBase: 2), 1e-15);
        Assert.Equal(0.0, KLDivergence.FromCounts<double>([c, c], [c, c]), 1e-15);
        Assert.Equal(0.0, JensenShannon.Divergence<double>([c, c], [c, c]), 1e-15);
    }

    [Fact]
    public void Counts_in_a_batch_normalise_row_by_row()
    {
        float[] counts = [1e-40f, 1e-40f, 3e38f, 3e38f, 1, 3];
        var h = new float[3];
        Entropy.FromCounts<float>(counts, h, classCount: 2);
        Assert.Equal(Math.Log(2), h[0], 6e-7);
        Assert.Equal(Math.Log(2), h[1], 6e-7);
        Assert.Equal(-(0.25 * Math.Log(0.25)) - (0.75 * Math.Log(0.75)), h[2], 6e-7);
    }

    [Fact]
    public void Jensen_shannon_midpoint_does_not_underflow()
    {
        float bits = JensenShannon.Divergence<float>([float.Epsilon, 1f], [0f, 1f], 2);
        Assert.InRange(bits, 0f, 1f);
        Assert.Equal(0, bits, 1e-30);
        double bitsD = JensenShannon.Divergence<double>([double.Epsilon, 1], [0, 1], 2);
        Assert.InRange(bitsD, 0, 1);
        Assert.Equal(1.0, JensenShannon.Divergence<float>([1f, 0f], [0f, 1f], 2), 1e-7);
        Assert.Equal(1.0, JensenShannon.Divergence<float>([float.Epsilon, 0f], [0f, float.Epsilon], 2), 1e-7);
    }

    [Theory]
    [InlineData(3.0)]
    [InlineData(0.7)]
    [InlineData(1.0)]
    public void Distillation_with_huge_finite_logits_is_finite(double temperature)
    {
        // softmax([3e10, 0]/T) is [1, 0] for every T here, softmax([0, 0]) is uniform: KL = ln 2.
        Assert.Equal(Math.Log(2), KLDivergence.FromLogits<float>([3e10f, 0f], [0f, 0f], temperature), 1e-6);
        Assert.Equal(Math.Log(2), KLDivergence.FromLogits<double>([3e10, 0], [0, 0], temperature), 1e-15);
        Assert.Equal(Math.Log(2), KLDivergence.FromLogits<double>([3e300, -3e300], [1e300, 1e300], temperature), 1e-15);
        var g = new float[2];
        float loss = KLDivergence.Distillation<float>([3e10f, 0f], [0f, 0f], 2, g, temperature: temperature);
        Assert.Equal(Math.Log(2), loss, 1e-6);
        Assert.Equal(-0.5 / temperature, g[0], 1e-6);
        Assert.Equal(0.5 / temperature, g[1], 1e-6);
    }

    [Theory]
    [InlineData(1e-50, false)]
    [InlineData(1e39, false)]
    [InlineData(1e20, true)]
    [InlineData(1e-20, true)]
    public void Float_temperatures_out_of_range_are_rejected(double temperature, bool squared)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => KLDivergence.Distillation<float>([1f, 2f], [1f, 2f], 2, default, temperature: temperature, scaleByTemperatureSquared: squared));
        Assert.Equal("temperature", e.ParamName);
        Assert.Equal(temperature, e.ActualValue);
        if (!squared)
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => KLDivergence.FromLogits<float>([1f, 2f], [1f, 2f], temperature));
        }
    }

    [Theory]
    [InlineData(1e200, true)]
    [InlineData(1e-200, true)]
    [InlineData(1e-320, false)]
    [InlineData(1e308, false)]
    public void Double_temperatures_out_of_range_are_rejected(double temperature, bool squared)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => KLDivergence.Distillation<double>([1, 2], [1, 2], 2, default, temperature: temperature, scaleByTemperatureSquared: squared));
        Assert.Equal("temperature", e.ParamName);
    }

    [Theory]
    [InlineData(1e-30)]
    [InlineData(1e30)]
    [InlineData(1e150)]
    public void Temperatures_in_range_give_finite_results(double temperature)
    {
        double loss = KLDivergence.Distillation<double>([1, 2], [2, 1], 2, default, temperature: temperature, scaleByTemperatureSquared: temperature < 1e100);
        Assert.True(double.IsFinite(loss), $"{loss}");
    }

    [Fact]
    public void Focal_gamma_must_be_finite()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => FocalLoss.Forward<float>([1f], [1f], gamma: double.PositiveInfinity));
        Assert.Equal("gamma", e.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => FocalLoss.Forward<float>([1f], [1f], gamma: 1e300));
        Assert.True(double.IsFinite(FocalLoss.Forward<double>([1, -3], [1, 0], gamma: 1e300)));
    }

    [Theory]
    [InlineData(40_000)]
    [InlineData(16_385)]
    [InlineData(16_500)]
    public void Distillation_of_long_rows_uses_bounded_scratch_and_stays_exact(int classes)
    {
        var random = new Random(classes);
        float[] teacher = [.. Enumerable.Range(0, 2 * classes).Select(_ => (float)((random.NextDouble() * 30) - 15))];
        float[] student = [.. Enumerable.Range(0, 2 * classes).Select(_ => (float)((random.NextDouble() * 30) - 15))];
        var g = new float[teacher.Length];
        long bytes = Allocations.Of(() => KLDivergence.Distillation<float>(teacher, student, classes, g, temperature: 1.7));
        Assert.Equal(0, bytes);
        long before = GC.GetAllocatedBytesForCurrentThread();
        KLDivergence.Distillation<float>(teacher, student, classes + 0, g, temperature: 2.3);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before <= 128 * 1024);

        // The gradient (q − p)/T/rows against a double reference, for the stored and the recomputed parts alike.
        for (int row = 0; row < 2; row++)
        {
            double[] p = SoftmaxOf(teacher.AsSpan(row * classes, classes), 2.3);
            double[] q = SoftmaxOf(student.AsSpan(row * classes, classes), 2.3);
            for (int i = 0; i < classes; i++)
            {
                double expected = (q[i] - p[i]) / 2.3 / 2;
                Assert.True(Math.Abs(g[(row * classes) + i] - expected) <= 1e-6 * (Math.Abs(q[i]) + Math.Abs(p[i])) + 1e-12, $"row {row}, class {i}: {g[(row * classes) + i]} vs {expected}");
            }
        }
        float[] inPlace = [.. student];
        float loss = KLDivergence.Distillation<float>(teacher, inPlace, classes, inPlace, temperature: 2.3);
        Assert.Equal(g, inPlace);
        Assert.True(float.IsFinite(loss));
    }

    private static double[] SoftmaxOf(ReadOnlySpan<float> logits, double temperature)
    {
        double max = double.NegativeInfinity;
        foreach (float v in logits)
        {
            max = Math.Max(max, v);
        }
        double[] e = new double[logits.Length];
        double sum = 0;
        for (int i = 0; i < e.Length; i++)
        {
            e[i] = Math.Exp((logits[i] - max) / temperature);
            sum += e[i];
        }
        for (int i = 0; i < e.Length; i++)
        {
            e[i] /= sum;
        }
        return e;
    }
}
