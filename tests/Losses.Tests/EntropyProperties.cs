using FsCheck.Xunit;

namespace Losses.Tests;

public class EntropyProperties
{
    private static int Length(Random random) => random.Next(4) == 0 ? random.Next(1, 300) : random.Next(1, 40);

    [Property(MaxTest = 200)]
    public void Entropy_lies_between_zero_and_log_n(int seed)
    {
        var random = new Random(seed);
        int n = Length(random);
        double[] p = Distributions.Probabilities(random, n);
        double h = Entropy.Of<double>(p);
        Assert.InRange(h, 0, Math.Log(n) + 1e-12);
        float hf = Entropy.Of(Distributions.ToFloat(p));
        Assert.InRange(hf, 0, Math.Log(n) * (1 + 1e-6) + 1e-6);
        Assert.InRange(Entropy.FromLogits<double>(Distributions.Logits(random, n, masked: true)), 0, Math.Log(n) + 1e-12);
    }

    [Property(MaxTest = 200)]
    public void Cross_entropy_is_entropy_plus_KL(int seed)
    {
        var random = new Random(seed);
        int n = Length(random);
        double[] p = Distributions.Probabilities(random, n);
        double[] q = Distributions.Probabilities(random, n, zeros: false);
        double cross = Entropy.Cross<double>(p, q);
        double sum = Entropy.Of<double>(p) + KLDivergence.Of<double>(p, q);
        Assert.Equal(cross, sum, 1e-12 * (1 + Math.Abs(cross)));
        Assert.Equal(cross / Math.Log(2), Entropy.Cross<double>(p, q, 2), 1e-12 * (1 + Math.Abs(cross)));
    }

    [Property(MaxTest = 200)]
    public void Entropy_from_logits_is_entropy_of_softmax(int seed)
    {
        var random = new Random(seed);
        int n = Length(random);
        double[] x = Distributions.Logits(random, n, masked: random.Next(2) == 0);
        var p = new double[n];
        Softmax.Forward<double>(x, p);
        double expected = Entropy.Of<double>(p);
        Assert.Equal(expected, Entropy.FromLogits<double>(x), 1e-12 * (1 + expected));

        float[] xf = Distributions.ToFloat(x);
        var pf = new float[n];
        Softmax.Forward<float>(xf, pf);
        Assert.Equal(Entropy.Of<float>(pf), Entropy.FromLogits<float>(xf), 3e-6 * (1 + expected));

        // Cross-entropy from logits is the same fused pass with soft labels.
        double[] labels = Distributions.Probabilities(random, n);
        for (int i = 0; i < n; i++)
        {
            labels[i] = double.IsNegativeInfinity(x[i]) ? 0 : labels[i];
        }
        double cross = Entropy.Cross<double>(labels, p);
        Assert.Equal(cross, Entropy.CrossFromLogits<double>(labels, x), 1e-11 * (1 + cross));
    }

    [Property(MaxTest = 100)]
    public void Float_agrees_with_double(int seed)
    {
        var random = new Random(seed);
        int n = Length(random);
        float[] p = Distributions.ToFloat(Distributions.Probabilities(random, n));
        float[] x = Distributions.ToFloat(Distributions.Logits(random, n));
        double h = Entropy.Of<double>(Distributions.ToDouble(p));
        Assert.Equal(h, Entropy.Of(p), 3e-6 * (1 + h));
        double hx = Entropy.FromLogits<double>(Distributions.ToDouble(x));
        Assert.Equal(hx, Entropy.FromLogits(x), 3e-6 * (1 + hx));
        double hc = Entropy.FromCounts<double>(Distributions.ToDouble(p));
        Assert.Equal(hc, Entropy.FromCounts(p), 3e-6 * (1 + hc));
    }

    [Property(MaxTest = 100)]
    public void Counts_are_normalised_and_batches_equal_single_rows(int seed)
    {
        var random = new Random(seed);
        int n = random.Next(1, 40);
        int rows = random.Next(1, 5);
        double[] counts = [.. Enumerable.Range(0, rows * n).Select(_ => (double)random.Next(0, 10))];
        counts[0] = 1;
        double[] x = [.. Enumerable.Range(0, rows).SelectMany(_ => Distributions.Logits(random, n, masked: true))];
        var fromCounts = new double[rows];
        var fromLogits = new double[rows];
        Entropy.FromCounts<double>(counts, fromCounts, n);
        Entropy.FromLogits<double>(x, fromLogits, n);
        for (int row = 0; row < rows; row++)
        {
            double[] c = counts[(row * n)..((row + 1) * n)];
            Assert.Equal(Entropy.FromCounts<double>(c), fromCounts[row]);
            // Whole blocks of rows take the rows-in-lanes path, whose sums run in another order: equal to a few ulp.
            Approx.Equal(Entropy.FromLogits<double>(x.AsSpan(row * n, n)), fromLogits[row], 1e-15, 1e-15, $"row {row}");
            double total = c.Sum();
            if (total > 0)
            {
                double expected = Entropy.Of<double>([.. c.Select(v => v / total)]);
                Assert.Equal(expected, fromCounts[row], 1e-12 * (1 + expected));
                Assert.Equal(expected, Entropy.FromCounts<double>([.. c.Select(v => v * 7.5)]), 1e-12 * (1 + expected));
            }
        }
    }
}
