using FsCheck.Xunit;

namespace Losses.Tests;

public class InformationGainProperties
{
    private static (int[] Labels, int[] Feature, double[] Weights) Sample(int seed, int maxN = 60)
    {
        var random = new Random(seed);
        int n = random.Next(1, maxN);
        int classes = random.Next(1, 5);
        int values = random.Next(1, 6);
        int[] y = [.. Enumerable.Range(0, n).Select(_ => random.Next(classes))];
        // Make the feature informative half of the time.
        int[] x = [.. y.Select(label => random.Next(2) == 0 ? label % values : random.Next(values))];
        double[] w = [.. Enumerable.Range(0, n).Select(_ => random.Next(4) == 0 ? 0.0 : random.NextDouble() * 3)];
        return (y, x, w);
    }

    private static double LabelEntropy(int[] labels, double[]? weights = null)
    {
        var h = new double[labels.Max() + 1];
        for (int i = 0; i < labels.Length; i++)
        {
            h[labels[i]] += weights?[i] ?? 1;
        }
        return InformationGain.EntropyOfCounts<double>(h);
    }

    [Property(MaxTest = 200)]
    public void GainIsBetweenZeroAndLabelEntropy(int seed)
    {
        var (y, x, w) = Sample(seed);
        double gain = InformationGain.Of(y, x);
        // The library clamps to its own H(Y); the test's H(Y) is summed in another order and may differ in the last bit.
        Assert.InRange(gain, 0, LabelEntropy(y) * (1 + 1e-14));
        double weighted = InformationGain.Of<double>(y, x, w);
        // H(Y) here sums the weights in another order, so it may differ in the last bit.
        Assert.InRange(weighted, 0, LabelEntropy(y, w) * (1 + 1e-14));
        Assert.InRange(InformationGain.GainRatio(y, x), 0, 1);
        Approx.Equal(LabelEntropy(y) - InformationGain.ConditionalEntropy(y, x), gain, 0, 1e-12, "H(Y) − H(Y|X)");
    }

    [Property(MaxTest = 200)]
    public void GainEqualsMutualInformation(int seed)
    {
        var (y, x, _) = Sample(seed);
        Approx.Equal(InformationGain.MutualInformation(y, x), InformationGain.Of(y, x), 1e-12, 1e-13, "IG = MI (both in nats)");
        Approx.Equal(InformationGain.MutualInformation(y, x), InformationGain.MutualInformation(x, y), 1e-12, 1e-13, "symmetry");
    }

    [Property(MaxTest = 200)]
    public void GainIsInvariantToRelabellingFeatureValues(int seed)
    {
        var (y, x, w) = Sample(seed);
        var random = new Random(seed ^ 0x5bd1e995);
        int[] permutation = [.. Enumerable.Range(0, 6).OrderBy(_ => random.Next())];
        int[] relabelled = [.. x.Select(v => permutation[v] * 3 + 1)];
        Approx.Equal(InformationGain.Of(y, x), InformationGain.Of(y, relabelled), 1e-12, 1e-13, "gain");
        Approx.Equal(InformationGain.Of<double>(y, x, w), InformationGain.Of<double>(y, relabelled, w), 1e-12, 1e-13, "weighted gain");
        Approx.Equal(InformationGain.GainRatio(y, x), InformationGain.GainRatio(y, relabelled), 1e-12, 1e-13, "gain ratio");
    }

    [Property(MaxTest = 200)]
    public void NormalizedMutualInformationIsInUnitInterval(int seed)
    {
        var (y, x, _) = Sample(seed);
        foreach (var average in Enum.GetValues<MutualInformationAverage>())
        {
            Assert.InRange(InformationGain.NormalizedMutualInformation(y, x, average), 0, 1);
        }
        Assert.Equal(1.0, InformationGain.NormalizedMutualInformation(y, y), 12);
    }

    [Property(MaxTest = 300)]
    public void BestThresholdBeatsEveryOtherThreshold(int seed)
    {
        var random = new Random(seed);
        int n = random.Next(0, 25);
        int classes = random.Next(1, 4);
        double[] x = [.. Enumerable.Range(0, n).Select(_ => (double)random.Next(8))];
        int[] y = [.. Enumerable.Range(0, n).Select(_ => random.Next(classes))];
        double[] w = [.. Enumerable.Range(0, n).Select(_ => random.Next(5) == 0 ? 0.0 : random.NextDouble())];
        foreach (double[] weights in new[] { Array.Empty<double>(), w })
        {
            var split = InformationGain.BestThreshold<double>(x, y, weights);
            double[] distinct = [.. x.Distinct().Order()];
            if (distinct.Length < 2 || (weights.Length > 0 && weights.Sum() == 0))
            {
                Assert.False(split.Exists);
                continue;
            }
            Assert.True(split.Exists);
            Assert.Equal(x.Count(v => v <= split.Threshold), split.LeftCount);
            double bestBrute = double.NegativeInfinity;
            for (int i = 0; i + 1 < distinct.Length; i++)
            {
                double t = (distinct[i] + distinct[i + 1]) / 2;
                double gain = BruteGain(x, y, weights, t);
                Assert.True(split.Gain >= gain - 1e-12, $"threshold {t} gains {gain}, more than the best {split.Threshold} ({split.Gain})");
                bestBrute = Math.Max(bestBrute, gain);
            }
            Approx.Equal(bestBrute, split.Gain, 1e-10, 1e-12, "best gain");
            Approx.Equal(BruteGain(x, y, weights, split.Threshold), split.Gain, 1e-10, 1e-12, "gain of the returned threshold");
        }
    }

    [Property(MaxTest = 100)]
    public void FloatAgreesWithDouble(int seed)
    {
        var random = new Random(seed);
        int n = random.Next(2, 200);
        float[] x = [.. Enumerable.Range(0, n).Select(_ => (float)random.NextDouble())];
        int[] y = [.. Enumerable.Range(0, n).Select(_ => random.Next(3))];
        var f = InformationGain.BestThreshold<float>(x, y);
        var d = InformationGain.BestThreshold<double>([.. x.Select(v => (double)v)], y);
        Assert.Equal(d.LeftCount, f.LeftCount);
        Approx.Equal(d.Gain, f.Gain, 1e-5, 1e-6, "gain");
    }

    /// <summary>The gain of x ≤ t by recounting both sides: the definition, no incremental tricks.</summary>
    private static double BruteGain(double[] x, int[] y, double[] w, double t)
    {
        int classes = y.Max() + 1;
        var left = new double[classes];
        var right = new double[classes];
        var all = new double[classes];
        for (int i = 0; i < x.Length; i++)
        {
            double weight = w.Length == 0 ? 1 : w[i];
            (x[i] <= t ? left : right)[y[i]] += weight;
            all[y[i]] += weight;
        }
        double wl = left.Sum(), wr = right.Sum(), total = wl + wr;
        return H(all) - wl / total * H(left) - wr / total * H(right);

        static double H(double[] counts)
        {
            double s = counts.Sum();
            return s == 0 ? 0 : -counts.Where(c => c > 0).Sum(c => c / s * Math.Log(c / s));
        }
    }
}
