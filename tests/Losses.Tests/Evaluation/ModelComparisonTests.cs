using System.Numerics;
using System.Text.Json;

namespace Losses.Tests;

/// <summary>ModelComparison against PyTorch compositions and float64 statistics (Reference/evaluation.json).</summary>
public class ModelComparisonTests
{
    public static TheoryData<string> Cases => EvaluationReference.Names("pair");

    [Theory]
    [MemberData(nameof(Cases))]
    public void PerTokenFiguresMatchPyTorch(string name)
    {
        var c = Reference.Case(EvaluationReference.File, name);
        if (c.Text("dtype") == "float32")
        {
            PerToken<float>(c, 2e-6);
        }
        else
        {
            PerToken<double>(c, 1e-12);
        }
    }

    private static void PerToken<T>(JsonElement c, double tolerance)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var recorded = EvaluationReference.Record(c.Values<T>("p"), c.Values<T>("q"), EvaluationReference.Targets(c), c.Int("classCount")).Pairs;
        double[] kl = c.Doubles("kl");
        double[] referenceLoss = c.Doubles("referenceLoss");
        double[] loss = c.Doubles("loss");
        bool[] same = [.. c.GetProperty("sameTopFlags").EnumerateArray().Select(e => e.GetBoolean())];
        Assert.Equal(kl.Length, recorded.Count);
        for (int i = 0; i < kl.Length; i++)
        {
            Approx.Equal(kl[i], recorded[i].Divergence, tolerance, tolerance, $"kl[{i}]");
            Approx.Equal(referenceLoss[i], recorded[i].ReferenceLoss, tolerance, tolerance, $"referenceLoss[{i}]");
            Approx.Equal(loss[i], recorded[i].Loss, tolerance, tolerance, $"loss[{i}]");
            Assert.Equal(same[i], recorded[i].SameTop);
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void StatisticsMatchFloat64Recomputation(string name)
    {
        var c = Reference.Case(EvaluationReference.File, name);
        var r = c.Text("dtype") == "float32" ? Corpus<float>(c) : Corpus<double>(c);
        double tol = c.Text("dtype") == "float32" ? 1e-5 : 1e-10;
        Assert.Equal(c.GetProperty("tokens").GetInt64(), r.TokenCount);
        Assert.Equal(c.GetProperty("ignored").GetInt64(), r.IgnoredCount);
        Approx.Equal(c.Scalar("perplexity"), r.Perplexity, tol, 0, "PPL(Q)");
        Approx.Equal(c.Scalar("perplexityError"), r.PerplexityError, 1e-3, tol, "PPL(Q) error");
        Approx.Equal(c.Scalar("referencePerplexity"), r.ReferencePerplexity, tol, 0, "PPL(P)");
        Approx.Equal(c.Scalar("referencePerplexityError"), r.ReferencePerplexityError, 1e-3, tol, "PPL(P) error");
        Approx.Equal(c.Scalar("logPerplexityRatio"), r.LogPerplexityRatio, tol, tol, "ln ratio");
        Approx.Equal(c.Scalar("logPerplexityRatioError"), r.LogPerplexityRatioError, 1e-2, tol, "ln ratio error");
        Approx.Equal(c.Scalar("meanDivergence"), r.MeanDivergence, tol, tol, "mean KL");
        Approx.Equal(c.Scalar("meanDivergenceError"), r.MeanDivergenceError, 1e-3, tol, "mean KL error");
        Approx.Equal(c.Scalar("maxDivergence"), r.MaxDivergence, tol, tol, "max KL");
        Approx.Equal(c.Scalar("minDivergence"), r.MinDivergence, tol, tol, "min KL");
        double[] percentiles = c.Doubles("percentiles");
        for (int i = 0; i < percentiles.Length; i++)
        {
            Approx.Equal(percentiles[i], r.DivergencePercentiles[i].Value, tol, tol, $"percentile {r.DivergencePercentiles[i].Fraction}");
        }
        Assert.Equal(0, r.PercentileRelativeError);
        Approx.Equal(c.Scalar("meanProbabilityDifference"), r.MeanProbabilityDifference, tol, tol, "mean Δp");
        Approx.Equal(c.Scalar("meanProbabilityDifferenceError"), r.MeanProbabilityDifferenceError, 1e-3, tol, "mean Δp error");
        Approx.Equal(c.Scalar("rmsProbabilityDifference"), r.RmsProbabilityDifference, tol, tol, "RMS Δp");
        Approx.Equal(c.Scalar("rmsProbabilityDifferenceError"), r.RmsProbabilityDifferenceError, 1e-3, tol, "RMS Δp error");
        Approx.Equal(c.Scalar("maxProbabilityDifference"), r.MaxProbabilityDifference, tol, tol, "max Δp");
        Approx.Equal(c.Scalar("sameTop"), r.SameTopFraction, 0, 0, "same top");
        Approx.Equal(c.Scalar("sameTopError"), r.SameTopFractionError, 1e-12, 0, "same top error");
        Assert.Contains("Same top p", r.ToTable(), StringComparison.Ordinal);
    }

    private static ModelComparisonResult Corpus<T>(JsonElement c)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int classCount = c.Int("classCount");
        T[] p = c.Values<T>("p");
        T[] q = c.Values<T>("q");
        int[] targets = EvaluationReference.Targets(c);
        var compare = new ModelComparison(classCount);
        for (int row = 0, size = 1; row < targets.Length; size = (size * 2) + 1)
        {
            int rows = Math.Min(size, targets.Length - row);
            compare.Add<T>(p.AsSpan(row * classCount, rows * classCount), q.AsSpan(row * classCount, rows * classCount), targets.AsSpan(row, rows));
            row += rows;
        }
        return compare.ToResult();
    }

    [Fact]
    public void IdenticalModelsHaveZeroDivergenceAndFullAgreement()
    {
        var random = new Random(2);
        float[] x = [.. Enumerable.Range(0, 40 * 300).Select(_ => (float)random.NextDouble() * 8)];
        long[] t = [.. Enumerable.Range(0, 40).Select(_ => (long)random.Next(300))];
        var compare = new ModelComparison(300);
        compare.Add<float>(x, x, t);
        var r = compare.ToResult();
        Assert.Equal(1, r.SameTopFraction);
        Assert.Equal(0, r.LogPerplexityRatio);
        Assert.Equal(1, r.PerplexityRatio);
        Assert.True(Math.Abs(r.MeanDivergence) < 1e-6);
    }

    [Fact]
    public void PercentilesBeyondTheCapacityAreWithinTheStatedError()
    {
        var random = new Random(11);
        int classCount = 50, rows = 3000;
        float[] p = [.. Enumerable.Range(0, rows * classCount).Select(_ => (float)(random.NextDouble() * 6))];
        float[] q = [.. p.Select(v => v + (float)(random.NextDouble() * 0.5))];
        int[] t = [.. Enumerable.Range(0, rows).Select(_ => random.Next(classCount))];
        var exact = new ModelComparison(classCount);
        var sketched = new ModelComparison(classCount, percentileCapacity: 100);
        exact.Add<float>(p, q, t);
        sketched.Add<float>(p, q, t);
        var e = exact.ToResult();
        var s = sketched.ToResult();
        Assert.Equal(Math.ScaleB(1, -8), s.PercentileRelativeError);
        for (int i = 0; i < e.DivergencePercentiles.Count; i++)
        {
            Approx.Equal(e.DivergencePercentiles[i].Value, s.DivergencePercentiles[i].Value, s.PercentileRelativeError, 1e-12, $"percentile {i}");
        }
        Assert.Equal(e.MeanDivergence, s.MeanDivergence);
        Assert.Contains("histogram", s.ToTable(), StringComparison.Ordinal);
        Assert.Equal(sketched.ToJson(), ModelComparison.FromJson(sketched.ToJson()).ToJson());
    }

    [Fact]
    public void BadBatchesThrowAndChangeNothing()
    {
        var compare = new ModelComparison(3);
        compare.Add<float>([1, 2, 3], [1, 2, 4], [0]);
        string before = compare.ToJson();
        Assert.Equal("referenceLogits", Assert.Throws<ArgumentException>(() => compare.Add<float>([1, 2, 3, 4], [1, 2, 3], [0])).ParamName);
        Assert.Equal("logits", Assert.Throws<ArgumentException>(() => compare.Add<float>([1, 2, 3], [1, 2], [0])).ParamName);
        Assert.Contains("targets[1] = 3", Assert.Throws<ArgumentOutOfRangeException>(() => compare.Add<float>([1, 2, 3, 1, 2, 3], [1, 2, 3, 1, 2, 3], [0, 3])).Message, StringComparison.Ordinal);
        Assert.Equal("other", Assert.Throws<ArgumentException>(() => compare.Merge(new ModelComparison(4))).ParamName);
        Assert.Equal("other", Assert.Throws<ArgumentException>(() => compare.Merge(new ModelComparison(3, ignoreIndex: 1))).ParamName);
        Assert.Equal("other", Assert.Throws<ArgumentException>(() => compare.Merge(new ModelComparison(3, percentileCapacity: 5))).ParamName);
        Assert.Equal(before, compare.ToJson());
    }

    [Fact]
    public void ANaNLogitInEitherModelIsCountedAndLeftOut()
    {
        var compare = new ModelComparison(3);
        compare.Add<double>([1, 2, 3, 1, 2, 3, 1, 2, 3], [1, 2, 3, 1, double.NaN, 3, 1, 2, 3], [0, 1, 2]);
        compare.Add<double>([double.NaN, 2, 3], [1, 2, 3], [0]);
        var r = compare.ToResult();
        Assert.Equal(2, r.TokenCount);
        Assert.Equal(2, r.NonFiniteCount);
    }
}
