using FsCheck.Xunit;

namespace Losses.Tests;

public class KLDivergenceProperties
{
    private static int Length(Random random) => random.Next(4) == 0 ? random.Next(1, 300) : random.Next(1, 40);

    [Property(MaxTest = 200)]
    public void KL_is_non_negative_and_zero_for_equal_distributions(int seed)
    {
        var random = new Random(seed);
        int n = Length(random);
        double[] p = Distributions.Probabilities(random, n);
        double[] q = Distributions.Probabilities(random, n, zeros: false);
        Assert.True(KLDivergence.Of<double>(p, q) >= -1e-15);
        Assert.Equal(0.0, KLDivergence.Of<double>(p, p));
        Assert.Equal(0f, KLDivergence.Of(Distributions.ToFloat(p), Distributions.ToFloat(p)));
        double[] t = Distributions.Logits(random, n, masked: true);
        double[] s = Distributions.Logits(random, n);
        Assert.True(KLDivergence.FromLogits<double>(t, s, 2) >= -1e-14);
        Assert.Equal(0.0, KLDivergence.FromLogits<double>(t, t, 3), 1e-14);
        Assert.True(KLDivergence.FromCounts<double>(p, q) >= -1e-15);
    }

    [Property(MaxTest = 200)]
    public void All_forms_agree(int seed)
    {
        var random = new Random(seed);
        int n = Length(random);
        double temperature = 0.5 + 4 * random.NextDouble();
        double[] t = Distributions.Logits(random, n, masked: true);
        double[] s = Distributions.Logits(random, n);
        double[] p = Distributions.Softmax([.. t.Select(v => v / temperature)]);
        double[] q = Distributions.Softmax([.. s.Select(v => v / temperature)]);
        double expected = KLDivergence.Of<double>(p, q);
        double tolerance = 1e-11 * (1 + expected);
        Assert.Equal(expected, KLDivergence.FromLogits<double>(t, s, temperature), tolerance);
        Assert.Equal(expected, KLDivergence.FromLogProbabilities<double>(p, [.. q.Select(v => Math.Log(v))]), tolerance);
        Assert.Equal(expected, KLDivergence.FromLogProbabilities<double>([.. p.Select(v => Math.Log(v))], [.. q.Select(v => Math.Log(v))], logTarget: true), tolerance);
        Assert.Equal(expected, KLDivergence.FromCounts<double>([.. p.Select(v => v * 3)], [.. q.Select(v => v / 5)]), tolerance);
        float single = KLDivergence.FromLogits(Distributions.ToFloat(t), Distributions.ToFloat(s), temperature);
        Assert.Equal(expected, single, 2e-5 * (1 + expected));
    }

    [Property(MaxTest = 100)]
    public void Distillation_gradient_equals_finite_differences(int seed)
    {
        var random = new Random(seed);
        int n = random.Next(1, 20);
        int rows = random.Next(1, 4);
        double temperature = 0.5 + 4 * random.NextDouble();
        bool scaled = random.Next(2) == 0;
        var reduction = (Reduction)random.Next(1, 4);
        double[] t = [.. Enumerable.Range(0, rows).SelectMany(_ => Distributions.Logits(random, n, masked: true))];
        double[] s = [.. Enumerable.Range(0, rows).SelectMany(_ => Distributions.Logits(random, n))];
        var gradient = new double[s.Length];
        double loss = KLDivergence.Distillation<double>(t, s, n, gradient, temperature: temperature, scaleByTemperatureSquared: scaled, reduction: reduction);
        Assert.Equal(loss, KLDivergence.Distillation<double>(t, s, n, [], temperature: temperature, scaleByTemperatureSquared: scaled, reduction: reduction));
        double scale = Math.Max(1e-3, gradient.Max(Math.Abs));
        for (int i = 0; i < s.Length; i++)
        {
            double h = 1e-5 * Math.Max(1, Math.Abs(s[i]));
            double saved = s[i];
            s[i] = saved + h;
            double up = KLDivergence.Distillation<double>(t, s, n, [], temperature: temperature, scaleByTemperatureSquared: scaled, reduction: reduction);
            s[i] = saved - h;
            double down = KLDivergence.Distillation<double>(t, s, n, [], temperature: temperature, scaleByTemperatureSquared: scaled, reduction: reduction);
            s[i] = saved;
            Assert.Equal((up - down) / (2 * h), gradient[i], 1e-6 * scale);
        }

        // float agrees with double, to a few ulp of the largest term coefficient · (q or p)
        double divisor = reduction switch { Reduction.Sum => 1, Reduction.Mean => rows * n, _ => rows };
        double coefficient = (scaled ? temperature : 1 / temperature) / divisor;
        var gradientF = new float[s.Length];
        float lossF = KLDivergence.Distillation(Distributions.ToFloat(t), Distributions.ToFloat(s), n, gradientF, temperature: temperature, scaleByTemperatureSquared: scaled, reduction: reduction);
        Assert.Equal(loss, lossF, 3e-5 * (1 + Math.Abs(loss)));
        for (int i = 0; i < s.Length; i++)
        {
            Assert.Equal(gradient[i], gradientF[i], 3e-6 * scale + 3e-7 * coefficient);
        }
    }
}
