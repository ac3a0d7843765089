using System.Numerics;
using System.Text.Json;

namespace Losses.Tests;

/// <summary>PerplexityAccumulator against PyTorch compositions (Reference/evaluation.json) and its bad-input rules.</summary>
public class PerplexityAccumulatorTests
{
    public static TheoryData<string> Cases => EvaluationReference.Names("single");

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
        double[] loss = c.Doubles("loss");
        double[] entropy = c.Doubles("entropy");
        long[] rank = EvaluationReference.Longs(c, "rank");
        foreach (var metrics in new[] { PerplexityMetrics.All, PerplexityMetrics.TopKAccuracy, PerplexityMetrics.None })
        {
            var recorded = EvaluationReference.Record(c.Values<T>("x"), null, EvaluationReference.Targets(c), c.Int("classCount"), metrics).Tokens;
            Assert.Equal(loss.Length, recorded.Count);
            for (int i = 0; i < loss.Length; i++)
            {
                Approx.Equal(loss[i], recorded[i].Loss, tolerance, tolerance, $"{metrics} loss[{i}]");
                if (metrics == PerplexityMetrics.All)
                {
                    Approx.Equal(entropy[i], recorded[i].Entropy, tolerance, tolerance, $"entropy[{i}]");
                }
                if (metrics != PerplexityMetrics.None)
                {
                    Assert.Equal(rank[i], recorded[i].Rank);
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void CorpusFiguresMatchPyTorch(string name)
    {
        var c = Reference.Case(EvaluationReference.File, name);
        var result = c.Text("dtype") == "float32" ? Corpus<float>(c) : Corpus<double>(c);
        double tolerance = c.Text("dtype") == "float32" ? 2e-6 : 1e-12;
        Assert.Equal(c.GetProperty("tokens").GetInt64(), result.TokenCount);
        Assert.Equal(c.GetProperty("ignored").GetInt64(), result.IgnoredCount);
        Assert.Equal(0, result.NonFiniteCount);
        Approx.Equal(c.Scalar("crossEntropy"), result.CrossEntropy, tolerance, tolerance, "cross-entropy");
        Approx.Equal(c.Scalar("crossEntropyError"), result.CrossEntropyError, 1e-4, tolerance, "error");
        Approx.Equal(c.Scalar("perplexity"), result.Perplexity, 10 * tolerance, 0, "perplexity");
        Approx.Equal(c.Scalar("meanEntropy"), result.MeanEntropy, tolerance, tolerance, "mean entropy");
        double[] accuracies = c.Doubles("topKAccuracy");
        Assert.Equal(accuracies, result.TopKAccuracies.Select(a => a.Accuracy));
        Assert.Equal(accuracies[0], result.Accuracy);
    }

    private static PerplexityResult Corpus<T>(JsonElement c)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int classCount = c.Int("classCount");
        T[] x = c.Values<T>("x");
        int[] targets = EvaluationReference.Targets(c);
        double[] weight = c.Doubles("weight");
        int[] topK = [.. c.GetProperty("topK").EnumerateArray().Select(e => e.GetInt32())];
        var eval = new PerplexityAccumulator(classCount, weight) { TopK = topK };
        // Uneven batches, int and long targets alternating.
        int row = 0;
        for (int size = 1; row < targets.Length; size += 3)
        {
            int rows = Math.Min(size, targets.Length - row);
            var logits = x.AsSpan(row * classCount, rows * classCount);
            if (size % 2 == 0)
            {
                eval.Add<T>(logits, targets.AsSpan(row, rows));
            }
            else
            {
                eval.Add<T>(logits, targets.AsSpan(row, rows).ToArray().Select(t => (long)t).ToArray());
            }
            row += rows;
        }
        return eval.ToResult();
    }

    [Fact]
    public void ANaNRowIsCountedAndLeftOut()
    {
        float[] x = [1, 2, 3, float.NaN, 0, 0, 3, 2, 1];
        var eval = new PerplexityAccumulator(3);
        eval.Add<float>(x, [2, 0, 0]);
        var r = eval.ToResult();
        Assert.Equal(2, r.TokenCount);
        Assert.Equal(1, r.NonFiniteCount);
        double expected = (CrossEntropy.Forward<double>([1, 2, 3], [2], 3) + CrossEntropy.Forward<double>([3, 2, 1], [0], 3)) / 2;
        Approx.Equal(expected, r.CrossEntropy, 1e-7);
        Assert.Contains("non-finite 1 LEFT OUT", r.ToTable(), StringComparison.Ordinal);
    }

    [Fact]
    public void AMaskedTargetGivesAnInfinitePerplexity()
    {
        var eval = new PerplexityAccumulator(3);
        eval.Add<float>([1, float.NegativeInfinity, 3], [1]);
        Assert.Equal(double.PositiveInfinity, eval.ToResult().Perplexity);
    }

    [Fact]
    public void BadBatchesThrowAndChangeNothing()
    {
        var eval = new PerplexityAccumulator(4, [1, 2, 3, 4]);
        eval.Add<float>([1, 2, 3, 4, 4, 3, 2, 1], [0, 3]);
        string before = eval.ToJson();

        var wrongLength = Assert.Throws<ArgumentException>(() => eval.Add<float>([1, 2, 3, 4, 5], [0]));
        Assert.Equal("logits", wrongLength.ParamName);
        var wrongVocabulary = Assert.Throws<ArgumentException>(() => eval.Add<float>([1, 2, 3, 4, 5, 6], [0, 1]));
        Assert.Equal("logits", wrongVocabulary.ParamName);
        var outOfRange = Assert.Throws<ArgumentOutOfRangeException>(() => eval.Add<float>([1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4], [0, 1, 4]));
        Assert.Equal("targets", outOfRange.ParamName);
        Assert.Contains("targets[2] = 4", outOfRange.Message, StringComparison.Ordinal);
        var negative = Assert.Throws<ArgumentOutOfRangeException>(() => eval.Add<double>([1, 2, 3, 4], [-1L]));
        Assert.Contains("targets[0] = -1", negative.Message, StringComparison.Ordinal);

        Assert.Equal(before, eval.ToJson());
    }

    [Fact]
    public void MergingDifferentConfigurationsThrowsAndChangesNothing()
    {
        var eval = new PerplexityAccumulator(4, [1, 2, 3, 4]);
        eval.Add<float>([1, 2, 3, 4], [2]);
        string before = eval.ToJson();
        Assert.Equal("other", Assert.Throws<ArgumentException>(() => eval.Merge(new PerplexityAccumulator(5, [1, 2, 3, 4, 5]))).ParamName);
        Assert.Contains("ignores", Assert.Throws<ArgumentException>(() => eval.Merge(new PerplexityAccumulator(4, [1, 2, 3, 4], ignoreIndex: 0))).Message, StringComparison.Ordinal);
        Assert.Contains("weights", Assert.Throws<ArgumentException>(() => eval.Merge(new PerplexityAccumulator(4, [1, 2, 3, 5]))).Message, StringComparison.Ordinal);
        Assert.Contains("weights", Assert.Throws<ArgumentException>(() => eval.Merge(new PerplexityAccumulator(4))).Message, StringComparison.Ordinal);
        Assert.Contains("top-k", Assert.Throws<ArgumentException>(() => eval.Merge(new PerplexityAccumulator(4, [1, 2, 3, 4]) { TopK = [1, 2] })).Message, StringComparison.Ordinal);
        Assert.Equal(before, eval.ToJson());
    }

    [Fact]
    public void BadConfigurationsThrow()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new PerplexityAccumulator(0));
        Assert.Equal("weight", Assert.Throws<ArgumentException>(() => new PerplexityAccumulator(3, [1, 2])).ParamName);
        Assert.Contains("weight[1]", Assert.Throws<ArgumentException>(() => new PerplexityAccumulator(2, [1, double.NaN])).Message, StringComparison.Ordinal);
        Assert.Equal("TopK", Assert.Throws<ArgumentOutOfRangeException>(() => new PerplexityAccumulator(3) { TopK = [1, 4] }).ParamName);
        Assert.Equal("TopK", Assert.Throws<ArgumentException>(() => new PerplexityAccumulator(3) { TopK = [2, 1] }).ParamName);
    }

    [Fact]
    public void TiesRankAsAStableSort()
    {
        // Target 2 ties with class 0 (earlier) and class 3 (later): rank 1, so wrong at k = 1 and right at k = 2.
        var eval = new PerplexityAccumulator(4) { TopK = [1, 2] };
        eval.Add<float>([5, 1, 5, 5], [2]);
        var r = eval.ToResult();
        Assert.Equal(0, r.TopKAccuracies[0].Accuracy);
        Assert.Equal(1, r.TopKAccuracies[1].Accuracy);
        eval = new PerplexityAccumulator(4) { TopK = [1] };
        eval.Add<float>([5, 1, 5, 5], [0]);
        Assert.Equal(1, eval.ToResult().Accuracy);
    }

    [Fact]
    public void LeanMetricsReportOnlyWhatTheyCompute()
    {
        var eval = new PerplexityAccumulator(3) { Metrics = PerplexityMetrics.None };
        eval.Add<float>([1, 2, 3], [2]);
        var r = eval.ToResult();
        Approx.Equal(CrossEntropy.Forward<float>([1, 2, 3], [2], 3), r.CrossEntropy, 1e-6);
        Assert.True(double.IsNaN(r.Accuracy));
        Assert.True(double.IsNaN(r.MeanEntropy));
        Assert.Empty(r.TopKAccuracies);
        Assert.Contains("computes", Assert.Throws<ArgumentException>(() => eval.Merge(new PerplexityAccumulator(3))).Message, StringComparison.Ordinal);
        Assert.Equal(eval.ToJson(), PerplexityAccumulator.FromJson(eval.ToJson()).ToJson());
    }

    [Fact]
    public void EmptyAccumulatorReportsNaN()
    {
        var r = new PerplexityAccumulator(10).ToResult();
        Assert.Equal(0, r.TokenCount);
        Assert.True(double.IsNaN(r.Perplexity));
        Assert.NotEmpty(r.ToTable());
    }

    [Fact]
    public void JsonRoundTripIsLossless()
    {
        var random = new Random(5);
        float[] x = [.. Enumerable.Range(0, 50 * 33).Select(_ => (float)(random.NextDouble() * 10))];
        int[] t = [.. Enumerable.Range(0, 50).Select(i => i % 9 == 0 ? -100 : random.Next(33))];
        var eval = new PerplexityAccumulator(33, [.. Enumerable.Range(0, 33).Select(i => 0.5 + (i / 7.0))]);
        eval.Add<float>(x, t);
        string json = eval.ToJson();
        var back = PerplexityAccumulator.FromJson(json);
        Assert.Equal(json, back.ToJson());
        Assert.Equal(eval.ToResult().ToTable(), back.ToResult().ToTable());
        Assert.Equal(eval.ToResult().CrossEntropy, back.ToResult().CrossEntropy);
        _ = JsonDocument.Parse(json);
    }
}
