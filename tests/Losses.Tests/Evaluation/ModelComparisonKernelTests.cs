namespace Losses.Tests;

/// <summary>
/// The one-pass two-model kernel on rows longer than its seed (2048 elements), where lanes rescale: per-token figures
/// against a float64 recomputation (the formulas PyTorch's float64 reference uses), argmax ties across the seed boundary,
/// masked (−∞) classes, and independence of the batch split and thread count.
/// </summary>
public class ModelComparisonKernelTests
{
    private const int Classes = 5000;

    /// <summary>Rows that exercise the rescaling: a rising ramp, a falling ramp, random, a maximum tied inside and after the seed, masked classes, identical models.</summary>
    private static (float[] P, float[] Q, int[] Targets) Rows()
    {
        var random = new Random(5);
        var p = new List<float>();
        var q = new List<float>();
        void Add(Func<int, float> fp, Func<int, float> fq)
        {
            for (int j = 0; j < Classes; j++)
            {
                p.Add(fp(j));
                q.Add(fq(j));
            }
        }
        Add(j => j * 0.01f, j => (j * 0.01f) + (float)(random.NextDouble() * 0.2)); // every vector rises
        Add(j => -j * 0.01f, j => (-j * 0.01f) + 0.5f);                           // never rises; KL 0 (a constant offset)
        Add(_ => (float)(random.NextDouble() * 8), _ => (float)(random.NextDouble() * 8));
        Add(j => j is 100 or 4000 ? 9f : (float)random.NextDouble(), j => j is 4000 or 4100 ? 9f : (float)random.NextDouble()); // first maxima 100 and 4000
        Add(j => j % 7 == 0 ? float.NegativeInfinity : (float)(random.NextDouble() * 4), j => j % 7 == 0 ? float.NegativeInfinity : (float)(random.NextDouble() * 4));
        Add(j => j % 11 == 0 ? float.NegativeInfinity : j * 0.001f, j => j * 0.001f);  // P masks classes Q does not
        float[] same = [.. Enumerable.Range(0, Classes).Select(_ => (float)(random.NextDouble() * 20 - 10))];
        Add(j => same[j], j => same[j]);
        Add(j => j < 2100 ? 1f : 2f, j => j >= 2200 ? 3f : 1f); // maxima first reached just after the seed, in different lanes
        int[] targets = [1, Classes - 1, 17, 100, 3, 5, 42, 2100];
        return ([.. p], [.. q], targets);
    }

    private static (double Kl, double ReferenceLoss, double Loss, int ArgmaxP, int ArgmaxQ) Float64(ReadOnlySpan<float> a, ReadOnlySpan<float> b, int t)
    {
        double ma = double.NegativeInfinity, mb = double.NegativeInfinity;
        int ia = 0, ib = 0;
        for (int j = 0; j < a.Length; j++)
        {
            if (a[j] > ma) { ma = a[j]; ia = j; }
            if (b[j] > mb) { mb = b[j]; ib = j; }
        }
        double sa = 0, sb = 0;
        for (int j = 0; j < a.Length; j++)
        {
            sa += Math.Exp(a[j] - ma);
            sb += Math.Exp(b[j] - mb);
        }
        double la = ma + Math.Log(sa), lb = mb + Math.Log(sb), kl = 0;
        for (int j = 0; j < a.Length; j++)
        {
            double pj = Math.Exp(a[j] - la);
            if (pj > 0)
            {
                kl += pj * ((a[j] - la) - (b[j] - lb));
            }
        }
        return (kl, la - a[t], lb - b[t], ia, ib);
    }

    [Fact]
    public void LongRowsMatchFloat64()
    {
        var (p, q, t) = Rows();
        var recorded = EvaluationReference.Record(p, q, t, Classes).Pairs;
        Assert.Equal(t.Length, recorded.Count);
        for (int row = 0; row < t.Length; row++)
        {
            var (kl, referenceLoss, loss, argmaxP, argmaxQ) = Float64(p.AsSpan(row * Classes, Classes), q.AsSpan(row * Classes, Classes), t[row]);
            // Rows 0 and 5 are ramps: every element raises its lane's maximum, and each rescale rounds the lane's sums
            // (one lane on the scalar path: k rises add up to k·2⁻²⁴ relative; 3000 here).
            Approx.Equal(kl, recorded[row].Divergence, row is 0 or 5 ? 1e-4 : 1e-5, 2e-6, $"kl[{row}]");
            double lossTolerance = row is 0 or 5 ? 1e-5 : 1e-6;
            Approx.Equal(referenceLoss, recorded[row].ReferenceLoss, lossTolerance, 2e-6, $"referenceLoss[{row}]");
            Approx.Equal(loss, recorded[row].Loss, lossTolerance, 2e-6, $"loss[{row}]");
            Assert.Equal(argmaxP == argmaxQ, recorded[row].SameTop);
        }
        Assert.Equal(0, recorded[6].Divergence);
        Assert.True(Math.Abs(recorded[1].Divergence) < 1e-6, $"constant offset: KL {recorded[1].Divergence}");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(16)]
    [InlineData(17)]
    [InlineData(40)]
    [InlineData(1000)]
    [InlineData(2048)]
    [InlineData(2049)]
    public void SameTopIsTheFirstArgmaxOfBothRows(int classes)
    {
        // Rows that fit in the seed decide SameTop from the seed's lanes when no lane holds both maxima, else by searching;
        // small integer logits make ties (several maxima, in the same or other lanes, in the overlapping last vector) common.
        var random = new Random(classes);
        const int rows = 300;
        float[] p = new float[rows * classes];
        float[] q = new float[rows * classes];
        for (int i = 0; i < p.Length; i++)
        {
            p[i] = random.Next(6);
            q[i] = (i / classes) % 3 == 0 ? p[i] : random.Next(6);
        }
        int[] t = [.. Enumerable.Range(0, rows).Select(_ => random.Next(classes))];
        var recorded = EvaluationReference.Record(p, q, t, classes).Pairs;
        for (int row = 0; row < rows; row++)
        {
            var a = p.AsSpan(row * classes, classes);
            var b = q.AsSpan(row * classes, classes);
            Assert.True(a.IndexOf(TensorMax(a)) == b.IndexOf(TensorMax(b)) == recorded[row].SameTop, $"row {row}");
        }

        static float TensorMax(ReadOnlySpan<float> x)
        {
            float max = float.NegativeInfinity;
            foreach (float v in x)
            {
                max = Math.Max(max, v);
            }
            return max;
        }
    }

    [Fact]
    public void BatchesLongerThanABlockOfRowsGiveTheBitsOfSmallBatches()
    {
        // A batch is finished in blocks of 65 536 rows: one of 70 000 rows (some ignored) gives the state of 7 batches of 10 000.
        const int classes = 3, rows = 70_000;
        var random = new Random(9);
        float[] p = [.. Enumerable.Range(0, rows * classes).Select(_ => (float)random.NextDouble() * 4)];
        float[] q = [.. p.Select(v => v + ((float)random.NextDouble() * 0.5f))];
        int[] t = [.. Enumerable.Range(0, rows).Select(r => r % 13 == 0 ? -100 : random.Next(classes))];
        var whole = new ModelComparison(classes);
        whole.Add<float>(p, q, t);
        var split = new ModelComparison(classes);
        for (int row = 0; row < rows; row += 10_000)
        {
            split.Add<float>(p.AsSpan(row * classes, 10_000 * classes), q.AsSpan(row * classes, 10_000 * classes), t.AsSpan(row, 10_000));
        }
        Assert.Equal(rows - t.Count(x => x == -100), whole.TokenCount);
        Assert.Equal(split.ToJson(), whole.ToJson());
    }

    [Fact]
    public void FiguresDoNotDependOnTheSplitOrThreads()
    {
        var (p, q, t) = Rows();
        var whole = new ModelComparison(Classes);
        whole.Add<float>(p, q, t);
        var split = new ModelComparison(Classes);
        for (int row = 0; row < t.Length; row += 3)
        {
            int rows = Math.Min(3, t.Length - row);
            split.Add<float>(p.AsSpan(row * Classes, rows * Classes), q.AsSpan(row * Classes, rows * Classes), t.AsSpan(row, rows), maxDegreeOfParallelism: 2);
        }
        Assert.Equal(whole.ToJson(), split.ToJson());
    }

    [Fact]
    public void AddAllocatesNothingPerToken()
    {
        var (p, q, t) = Rows();
        var compare = new ModelComparison(Classes, percentileCapacity: 0); // the histogram from the start: no list grows
        compare.Add<float>(p, q, t);
        long[] targets = [.. t.Select(v => (long)v)];
        Half[] half = [.. q.Select(v => (Half)v)];
        compare.Add(p, half, targets);
        Assert.Equal(0, Allocations.Of(() => compare.Add<float>(p.AsSpan(0, Classes), q.AsSpan(0, Classes), t.AsSpan(0, 1))));
        Assert.Equal(0, Allocations.Of(() => compare.Add(p.AsSpan(0, Classes), half.AsSpan(0, Classes), targets.AsSpan(0, 1))));
    }
}
