using System.Text.Json;

namespace Losses.Tests;

public class InformationGainTests
{
    private const string File = "information.json";

    public static TheoryData<string> MiCases => Reference.Names(File, c => c.Text("name").StartsWith("mi_", StringComparison.Ordinal));

    public static TheoryData<string> IgCases => Reference.Names(File, c => c.Text("name").StartsWith("ig_", StringComparison.Ordinal));

    public static TheoryData<string> StumpCases => Reference.Names(File, c => c.Text("name").StartsWith("stump_", StringComparison.Ordinal));

    private static int[] Ints(JsonElement c, string p) => [.. c.GetProperty(p).EnumerateArray().Select(e => e.GetInt32())];

    [Theory]
    [MemberData(nameof(MiCases))]
    public void MutualInformationMatchesSklearn(string name)
    {
        var c = Reference.Case(File, name);
        int[] a = Ints(c, "labelsA"), b = Ints(c, "labelsB");
        Approx.Equal(c.Scalar("mi"), InformationGain.MutualInformation(a, b), 1e-12, 1e-14, "mi");
        Approx.Equal(c.Scalar("mi"), InformationGain.MutualInformation(b, a), 1e-12, 1e-14, "mi swapped");
        Approx.Equal(c.Scalar("mi") / Math.Log(2), InformationGain.MutualInformation(a, b, 2), 1e-12, 1e-14, "mi bits");
        foreach (var (average, key) in new[] { (MutualInformationAverage.Arithmetic, "nmi_arithmetic"), (MutualInformationAverage.Geometric, "nmi_geometric"), (MutualInformationAverage.Min, "nmi_min"), (MutualInformationAverage.Max, "nmi_max") })
        {
            Approx.Equal(c.Scalar(key), InformationGain.NormalizedMutualInformation(a, b, average), 1e-12, 1e-14, key);
        }
        Approx.Equal(c.Scalar("nmi_arithmetic"), InformationGain.NormalizedMutualInformation(a, b), 1e-12, 1e-14, "default average");
    }

    [Theory]
    [MemberData(nameof(IgCases))]
    public void CategoricalGainMatchesScipy(string name)
    {
        var c = Reference.Case(File, name);
        int[] y = Ints(c, "labels"), x = Ints(c, "feature");
        bool weighted = c.TryGetProperty("weights", out _);
        double[] w = weighted ? c.Doubles("weights") : [];
        double gain = weighted ? InformationGain.Of<double>(y, x, w, logBase: 2) : InformationGain.Of(y, x, logBase: 2);
        double conditional = weighted ? InformationGain.ConditionalEntropy<double>(y, x, w, logBase: 2) : InformationGain.ConditionalEntropy(y, x, logBase: 2);
        double split = weighted ? InformationGain.SplitInformation<double>(x, w, logBase: 2) : InformationGain.SplitInformation(x, logBase: 2);
        double ratio = weighted ? InformationGain.GainRatio<double>(y, x, w) : InformationGain.GainRatio(y, x);
        Approx.Equal(c.Scalar("gain"), gain, 1e-11, 1e-13, "gain");
        Approx.Equal(c.Scalar("conditional"), conditional, 1e-11, 1e-13, "conditional");
        Approx.Equal(c.Scalar("splitInformation"), split, 1e-11, 1e-13, "split information");
        Approx.Equal(c.Scalar("gainRatio"), ratio, 1e-11, 1e-13, "gain ratio");

        double[] table = c.Doubles("table");
        int classes = c.Int("classCount");
        Approx.Equal(c.Scalar("gain"), InformationGain.FromContingency<double>(table, classes, logBase: 2), 1e-11, 1e-13, "table gain");
        Approx.Equal(c.Scalar("conditional"), InformationGain.ConditionalEntropyFromContingency<double>(table, classes, logBase: 2), 1e-11, 1e-13, "table conditional");
        Approx.Equal(c.Scalar("splitInformation"), InformationGain.SplitInformationFromContingency<double>(table, classes, logBase: 2), 1e-11, 1e-13, "table split");
        Approx.Equal(c.Scalar("gainRatio"), InformationGain.GainRatioFromContingency<double>(table, classes), 1e-11, 1e-13, "table ratio");
        Approx.Equal(c.Scalar("gain"), InformationGain.FromContingency<float>(table.Select(v => (float)v).ToArray(), classes, logBase: 2), 1e-5, 1e-5, "float table gain");

        var counted = new double[table.Length];
        InformationGain.CountContingency<double>(y, x, w, classes, counted);
        Approx.Equal<double>(table, counted, 1e-12, 1e-12, "counted table");

        if (!weighted)
        {
            var labelCounts = new int[classes];
            foreach (int label in y)
            {
                labelCounts[label]++;
            }
            Approx.Equal(c.Scalar("entropy"), InformationGain.EntropyOfCounts(labelCounts, logBase: 2), 1e-12, 1e-14, "entropy of counts");
            Approx.Equal(c.Scalar("entropy"), InformationGain.EntropyOfCounts<double>([.. labelCounts.Select(v => (double)v)], logBase: 2), 1e-12, 1e-14, "entropy of weights");
        }
    }

    [Fact]
    public void ConstantFeatureHasNoGainAndFeatureEqualToLabelHasAll()
    {
        var c = Reference.Case(File, "ig_feature_is_label");
        int[] y = Ints(c, "labels");
        Assert.Equal(c.Scalar("entropy"), InformationGain.Of(y, y, logBase: 2), 12);
        Assert.Equal(0.0, InformationGain.Of(y, new int[y.Length]));
        Assert.Equal(0.0, InformationGain.GainRatio(y, new int[y.Length]));
        Assert.Equal(0.0, InformationGain.SplitInformation(new int[y.Length]));
        Assert.Equal(1.0, InformationGain.GainRatio(y, y), 12);
    }

    [Theory]
    [MemberData(nameof(StumpCases))]
    public void BestThresholdMatchesSklearnStump(string name)
    {
        var c = Reference.Case(File, name);
        double[] x = c.Doubles("feature");
        int[] y = Ints(c, "labels");
        double[] w = c.TryGetProperty("weights", out _) ? c.Doubles("weights") : [];
        var split = InformationGain.BestThreshold<double>(x, y, w, logBase: 2);
        var splitFloat = InformationGain.BestThreshold<float>([.. x.Select(v => (float)v)], y, [.. w.Select(v => (float)v)], logBase: 2);
        if (!c.GetProperty("split").GetBoolean())
        {
            Assert.False(split.Exists);
            Assert.True(double.IsNaN(split.Threshold));
            Assert.Equal(0.0, split.Gain);
            Assert.False(splitFloat.Exists);
            return;
        }
        Approx.Equal(c.Scalar("threshold"), split.Threshold, 1e-15, 0, "threshold");
        Approx.Equal(c.Scalar("gain"), split.Gain, 1e-9, 1e-12, "gain");
        Assert.Equal(c.Int("leftCount"), split.LeftCount);
        Approx.Equal(c.Scalar("threshold"), splitFloat.Threshold, 1e-7, 0, "float threshold");
        Approx.Equal(c.Scalar("gain"), splitFloat.Gain, 1e-5, 1e-6, "float gain");

        // The pre-sorted overload on the whole sample gives the same split.
        int[] order = [.. Enumerable.Range(0, x.Length)];
        Array.Sort(x.ToArray(), order);
        var sorted = InformationGain.BestThresholdSorted<double>(x, y, w, order, y.Max() + 1, new double[4 * (y.Max() + 1)], logBase: 2);
        Assert.Equal(split.Threshold, sorted.Threshold);
        Approx.Equal(split.Gain, sorted.Gain, 1e-12, 1e-14, "sorted gain");
        Assert.Equal(split.LeftCount, sorted.LeftCount);
    }

    [Fact]
    public void SmallExamples()
    {
        var split = InformationGain.BestThreshold([1.0, 2, 3, 4], [0, 0, 1, 1], logBase: 2);
        Assert.Equal(2.5, split.Threshold);
        Assert.Equal(1.0, split.Gain, 14);
        Assert.Equal(2, split.LeftCount);
        Assert.Equal(Math.Log(2), InformationGain.BestThreshold([1.0, 2, 3, 4], [0, 0, 1, 1]).Gain, 14);
        Assert.Equal(1.0, InformationGain.EntropyOfCounts([5, 5], logBase: 2), 15);
        Assert.Equal(Math.Log(2), InformationGain.EntropyOfCounts([5, 5]), 15); // nats by default, as Entropy.FromCounts
        Assert.Equal(1.5, InformationGain.EntropyOfCounts<double>([0.5, 0.25, 0.25], logBase: 2), 15);
        Assert.Equal(0.0, InformationGain.EntropyOfCounts([]));
        Assert.Equal(0.0, InformationGain.EntropyOfCounts([0, 0]));
        Assert.Equal(0.0, InformationGain.EntropyOfCounts([7]));
        Assert.Equal(0.5, InformationGain.GainRatio([0, 0, 1, 1], [0, 1, 2, 3]), 14);
        Assert.Equal(0.0, InformationGain.Of([], []));
        Assert.Equal(0.0, InformationGain.MutualInformation([], []));
        Assert.Equal(1.0, InformationGain.NormalizedMutualInformation([], []));
        Assert.Equal(0.5, InformationGain.ConditionalEntropyFromContingency<double>([1, 1, 2, 0], 2, logBase: 2), 14);
    }

    [Fact]
    public void ThresholdEdgeCases()
    {
        // Fewer than two samples, constant feature, all-zero weights: no split.
        Assert.False(InformationGain.BestThreshold<double>([], []).Exists);
        Assert.False(InformationGain.BestThreshold([1.0], [0]).Exists);
        Assert.False(InformationGain.BestThreshold([2.0, 2, 2], [0, 1, 0]).Exists);
        Assert.False(InformationGain.BestThreshold([1.0, 2], [0, 1], [0.0, 0.0]).Exists);
        // A pure node: a split exists but gains nothing.
        var pure = InformationGain.BestThreshold([1.0, 2, 3], [1, 1, 1]);
        Assert.Equal(0.0, pure.Gain);
        Assert.Equal(1.5, pure.Threshold);
        // Adjacent doubles: the midpoint would round to the upper value, so the lower one is used.
        double a = 1.0, b = Math.BitIncrement(1.0);
        Assert.Equal(a, InformationGain.BestThreshold([a, b], [0, 1]).Threshold);
        // Infinities are allowed; x ≤ t still separates them.
        var inf = InformationGain.BestThreshold([double.NegativeInfinity, 0, double.PositiveInfinity], [0, 0, 1]);
        Assert.Equal(0.0, inf.Threshold);
        Assert.Equal(2, inf.LeftCount);
        // Ties: all copies of a value go to the same side.
        var ties = InformationGain.BestThreshold([1f, 1, 1, 2, 2, 3], [0, 0, 1, 1, 1, 1]);
        Assert.Equal(1.5f, ties.Threshold);
        Assert.Equal(3, ties.LeftCount);
        // Among equal gains, the smallest threshold wins.
        Assert.Equal(1.5, InformationGain.BestThreshold([1.0, 2, 3, 4], [0, 1, 1, 0]).Threshold);
        // Zero weights still count as positions; the split is by weight.
        var weighted = InformationGain.BestThreshold([1.0, 2, 3, 4], [0, 1, 0, 1], [1.0, 0, 1, 1]);
        Assert.Equal(3.5, weighted.Threshold);
        Assert.Equal(3, weighted.LeftCount);
    }

    [Fact]
    public void LongInputsKeepTheIncrementalSumsAccurate()
    {
        // The scan updates Σ c ln c of each side incrementally; on 200,000 samples its gain must still match a recount.
        var random = new Random(11);
        int n = 200_000;
        int[] y = [.. Enumerable.Range(0, n).Select(_ => random.Next(5))];
        double[] x = [.. y.Select(label => random.NextDouble() + 0.2 * label)];
        double[] w = [.. Enumerable.Range(0, n).Select(_ => random.NextDouble())];
        foreach (double[] weights in new[] { Array.Empty<double>(), w })
        {
            var split = InformationGain.BestThreshold<double>(x, y, weights);
            var left = new double[5];
            var right = new double[5];
            for (int i = 0; i < n; i++)
            {
                (x[i] <= split.Threshold ? left : right)[y[i]] += weights.Length == 0 ? 1 : weights[i];
            }
            double wl = left.Sum(), wr = right.Sum();
            double expected = InformationGain.EntropyOfCounts<double>([.. left.Zip(right, (a, b) => a + b)])
                - wl / (wl + wr) * InformationGain.EntropyOfCounts<double>(left) - wr / (wl + wr) * InformationGain.EntropyOfCounts<double>(right);
            Approx.Equal(expected, split.Gain, 1e-9, 1e-12, "gain");
        }
    }

    [Fact]
    public void SortedOverloadSplitsASubsetWithRepeats()
    {
        double[] x = [5, 1, 4, 2, 3];
        int[] y = [1, 0, 1, 0, 0];
        int[] order = [1, 1, 3, 2, 0]; // sample 1 twice, sample 4 left out
        var split = InformationGain.BestThresholdSorted<double>(x, y, [], order, 2, new double[8]);
        Assert.Equal(3.0, split.Threshold);
        Assert.Equal(3, split.LeftCount);
        Assert.Equal(InformationGain.EntropyOfCounts([3, 2]), split.Gain, 14);
    }

    [Fact]
    public void BadInputNamesArgumentAndIndex()
    {
        AssertBad("labels", "labels[2]", () => InformationGain.Of([0, 1, -1], [0, 0, 0]));
        AssertBad("featureValues", "featureValues[1]", () => InformationGain.Of([0, 1, 1], [0, -3, 0]));
        AssertBad("featureValues", "", () => InformationGain.Of([0, 1, 1], [0, 0]));
        AssertBad("sampleWeights", "sampleWeights[1]", () => InformationGain.Of<double>([0, 1], [0, 0], [1.0, -1.0]));
        AssertBad("sampleWeights", "sampleWeights[0]", () => InformationGain.Of<double>([0, 1], [0, 0], [double.NaN, 1.0]));
        AssertBad("sampleWeights", "", () => InformationGain.Of<double>([0, 1], [0, 0], [1.0]));
        AssertBad("counts", "counts[1]", () => InformationGain.EntropyOfCounts([1, -1]));
        AssertBad("weights", "weights[0]", () => InformationGain.EntropyOfCounts<float>([float.PositiveInfinity]));
        AssertBad("table", "table[3]", () => InformationGain.FromContingency<double>([1, 1, 1, -1], 2));
        AssertBad("table", "", () => InformationGain.FromContingency<double>([1, 1, 1], 2));
        AssertBad("feature", "feature[2]", () => InformationGain.BestThreshold([1.0, 2, double.NaN], [0, 1, 0]));
        AssertBad("labels", "labels[0]", () => InformationGain.BestThreshold([1.0, 2], [-1, 0]));
        AssertBad("labels", "", () => InformationGain.BestThreshold([1.0, 2], [0]));
        AssertBad("sampleWeights", "sampleWeights[1]", () => InformationGain.BestThreshold([1.0, 2], [0, 1], [1.0, -2.0]));
        AssertBad("labels", "labels[1]", () => InformationGain.BestThreshold<double>([1.0, 2], [0, 2], [], 2, new double[2], new int[2], new double[8]));
        AssertBad("classScratch", "", () => InformationGain.BestThreshold<double>([1.0, 2], [0, 1], [], 2, new double[2], new int[2], new double[7]));
        AssertBad("sortedFeature", "", () => InformationGain.BestThreshold<double>([1.0, 2], [0, 1], [], 2, new double[1], new int[2], new double[8]));
        AssertBad("order", "order[1]", () => InformationGain.BestThresholdSorted<double>([1.0, 2], [0, 1], [], [0, 2], 2, new double[8]));
        AssertBad("order", "order[1]", () => InformationGain.BestThresholdSorted<double>([1.0, 2], [0, 1], [], [1, 0], 2, new double[8]));
        AssertBad("logBase", "", () => InformationGain.Of([0], [0], 1.0));
        AssertBad("average", "", () => InformationGain.NormalizedMutualInformation([0], [0], (MutualInformationAverage)7));
        AssertBad("labelsA", "labelsA[0]", () => InformationGain.MutualInformation([-1], [0]));
        Assert.Throws<ArgumentOutOfRangeException>("classCount", () => InformationGain.FromContingency<double>([1.0], 0));
    }

    [Fact]
    public void HugeAndSparseCodesNeedMemoryProportionalToTheSamples()
    {
        // issue 10: int.MaxValue overflowed the table index; [0, 5·10⁷] allocated 2.1 GB.
        int[] y = [0, int.MaxValue, int.MaxValue, 0];
        int[] x = [int.MaxValue, 3, 3, int.MaxValue];
        Assert.Equal(Math.Log(2), InformationGain.Of(y, x), 15);
        Assert.Equal(0.0, InformationGain.ConditionalEntropy(y, x), 15);
        Assert.Equal(Math.Log(2), InformationGain.SplitInformation(x), 15);
        Assert.Equal(1.0, InformationGain.NormalizedMutualInformation(y, x), 15);
        long before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Equal(Math.Log(2), InformationGain.Of([0, 50_000_000], [0, 1]), 15);
        Assert.Equal(Math.Log(2), InformationGain.BestThreshold([1.0, 2], [0, 50_000_000]).Gain, 15);
        Assert.Equal(Math.Log(2), InformationGain.BestThreshold([1.0, 2, 3], [int.MaxValue, 7, 7], [1.0, 0.5, 0.5]).Gain, 15);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20, "allocated more than 1 MB");

        // The sorted (sparse) path agrees with the table (dense) path.
        var random = new Random(5);
        int n = 300;
        int[] yd = [.. Enumerable.Range(0, n).Select(_ => random.Next(4))];
        int[] xd = [.. yd.Select(v => random.Next(3) == 0 ? random.Next(6) : v)];
        double[] w = [.. Enumerable.Range(0, n).Select(_ => random.Next(5) == 0 ? 0 : random.NextDouble())];
        int[] ys = [.. yd.Select(v => v * 500_000_000 + 3)];
        int[] xs = [.. xd.Select(v => int.MaxValue - v * 300_000_000)];
        Approx.Equal(InformationGain.Of(yd, xd), InformationGain.Of(ys, xs), 1e-12, 1e-15, "gain");
        Approx.Equal(InformationGain.Of<double>(yd, xd, w), InformationGain.Of<double>(ys, xs, w), 1e-12, 1e-15, "weighted gain");
        Approx.Equal(InformationGain.ConditionalEntropy(yd, xd), InformationGain.ConditionalEntropy(ys, xs), 1e-12, 1e-15, "conditional");
        Approx.Equal(InformationGain.GainRatio<double>(yd, xd, w), InformationGain.GainRatio<double>(ys, xs, w), 1e-12, 1e-15, "ratio");
        Approx.Equal(InformationGain.SplitInformation<double>(xd, w), InformationGain.SplitInformation<double>(xs, w), 1e-12, 1e-15, "split information");
        Approx.Equal(InformationGain.NormalizedMutualInformation(yd, xd), InformationGain.NormalizedMutualInformation(ys, xs), 1e-12, 1e-15, "nmi");
        double[] feature = [.. Enumerable.Range(0, n).Select(i => yd[i] + random.NextDouble() * 2)];
        var dense = InformationGain.BestThreshold<double>(feature, yd, w);
        var sparse = InformationGain.BestThreshold<double>(feature, ys, w);
        Assert.Equal(dense.Threshold, sparse.Threshold);
        Approx.Equal(dense.Gain, sparse.Gain, 1e-12, 1e-15, "threshold gain");
    }

    [Fact]
    public void AClassCountBeyondAnyScratchIsRejectedBeforeAnythingIsWritten()
    {
        // issue 10: 4 × 600,000,000 overflowed the scratch check, the caller's buffers were written, then an exception with no name.
        double[] keys = [9, 9], classScratch = new double[8];
        int[] order = [9, 9];
        var e = Assert.Throws<ArgumentException>("classScratch", () => InformationGain.BestThreshold<double>([1.0, 2], [0, 1], [], 600_000_000, keys, order, classScratch));
        Assert.Contains("2400000000", e.Message, StringComparison.Ordinal);
        Assert.Equal([9.0, 9.0], keys);
        Assert.Equal([9, 9], order);
        Assert.Throws<ArgumentException>("classScratch", () => InformationGain.BestThresholdSorted<double>([1.0, 2], [0, 1], [], [0, 1], 600_000_000, classScratch));
    }

    private static void AssertBad(string paramName, string inMessage, Action action)
    {
        var e = Assert.ThrowsAny<ArgumentException>(action);
        Assert.Equal(paramName, e.ParamName);
        Assert.Contains(inMessage, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ScratchOverloadsAllocateNothing()
    {
        var random = new Random(5);
        int n = 5000;
        double[] x = [.. Enumerable.Range(0, n).Select(_ => random.NextDouble())];
        float[] xf = [.. x.Select(v => (float)v)];
        int[] y = [.. Enumerable.Range(0, n).Select(_ => random.Next(3))];
        int[] v = [.. Enumerable.Range(0, n).Select(_ => random.Next(4))];
        double[] w = [.. Enumerable.Range(0, n).Select(_ => random.NextDouble())];
        double[] keys = new double[n];
        float[] keysF = new float[n];
        int[] order = new int[n];
        double[] classScratch = new double[12];
        double[] table = new double[12];
        int[] counts = [3, 4, 5];
        int[] sortedOrder = [.. Enumerable.Range(0, n)];
        Array.Sort(x.ToArray(), sortedOrder);
        Assert.Equal(0, Allocations.Of(() => InformationGain.BestThreshold<double>(x, y, [], 3, keys, order, classScratch)));
        Assert.Equal(0, Allocations.Of(() => InformationGain.BestThreshold<double>(x, y, w, 3, keys, order, classScratch)));
        Assert.Equal(0, Allocations.Of(() => InformationGain.BestThreshold<float>(xf, y, [], 3, keysF, order, classScratch)));
        Assert.Equal(0, Allocations.Of(() => InformationGain.BestThresholdSorted<double>(x, y, w, sortedOrder, 3, classScratch)));
        Assert.Equal(0, Allocations.Of(() => InformationGain.CountContingency<double>(y, v, w, 3, table)));
        Assert.Equal(0, Allocations.Of(() => InformationGain.FromContingency<double>(table, 3)));
        Assert.Equal(0, Allocations.Of(() => InformationGain.GainRatioFromContingency<double>(table, 3)));
        Assert.Equal(0, Allocations.Of(() => InformationGain.NormalizedMutualInformationFromContingency<double>(table, 3, MutualInformationAverage.Geometric)));
        Assert.Equal(0, Allocations.Of(() => InformationGain.EntropyOfCounts(counts)));
        // The renting overloads return what they rent: nothing is allocated once the pool is warm.
        Assert.Equal(0, Allocations.Of(() => InformationGain.Of(y, v)));
        Assert.Equal(0, Allocations.Of(() => InformationGain.BestThreshold<double>(x, y)));
    }
}
