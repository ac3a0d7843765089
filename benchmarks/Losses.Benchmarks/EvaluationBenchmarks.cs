using BenchmarkDotNet.Attributes;

namespace Losses.Benchmarks;

/// <summary>
/// The streaming evaluation accumulators against the fused cross-entropy forward on the same logits (float):
/// PerplexityAccumulator.Add (cross-entropy, top-1/top-5 accuracy, entropy, exact sums) — target ≤ 1.1× — and
/// ModelComparison.Add (two logit sets: KL, both losses, argmax agreement, exact sums, per-token KL kept) — target ≤ 2.5×.
/// </summary>
[MemoryDiagnoser]
public class EvaluationBenchmarks
{
    private float[] _p = [];
    private float[] _q = [];
    private int[] _t = [];
    private PerplexityAccumulator _perplexity = null!;
    private PerplexityAccumulator _crossEntropy = null!;
    private PerplexityAccumulator _accuracy = null!;
    private ModelComparison _comparison = null!;

    [Params("512x1000", "8x32000")]
    public string Shape { get; set; } = "512x1000";

    private int Classes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        int rows = int.Parse(Shape.Split('x')[0]);
        Classes = int.Parse(Shape.Split('x')[1]);
        var random = new Random(42);
        _p = [.. Enumerable.Range(0, rows * Classes).Select(_ => (float)(random.NextDouble() * 20 - 10))];
        _q = [.. _p.Select(v => v + (float)(random.NextDouble() - 0.5))];
        _t = [.. Enumerable.Range(0, rows).Select(_ => random.Next(Classes))];
        _perplexity = new PerplexityAccumulator(Classes);
        _crossEntropy = new PerplexityAccumulator(Classes) { Metrics = PerplexityMetrics.None };
        _accuracy = new PerplexityAccumulator(Classes) { Metrics = PerplexityMetrics.TopKAccuracy };
        _comparison = new ModelComparison(Classes);
    }

    [Benchmark(Baseline = true, Description = "CrossEntropy.Forward (fused)")]
    public float Forward() => CrossEntropy.Forward<float>(_q, _t, Classes);

    [Benchmark(Description = "PerplexityAccumulator.Add (cross-entropy only)")]
    public long CrossEntropyOnly()
    {
        _crossEntropy.Add<float>(_q, _t);
        return _crossEntropy.TokenCount;
    }

    [Benchmark(Description = "PerplexityAccumulator.Add (+ top-k accuracy)")]
    public long WithAccuracy()
    {
        _accuracy.Add<float>(_q, _t);
        return _accuracy.TokenCount;
    }

    [Benchmark(Description = "PerplexityAccumulator.Add (all: + entropy)")]
    public long Perplexity()
    {
        _perplexity.Add<float>(_q, _t);
        return _perplexity.TokenCount;
    }

    [Benchmark(Description = "ModelComparison.Add")]
    public long Comparison()
    {
        // Restart before the exact list of per-token divergences would switch to the histogram, so every call costs the same.
        if (_comparison.TokenCount > 500_000)
        {
            _comparison = new ModelComparison(Classes);
        }
        _comparison.Add<float>(_p, _q, _t);
        return _comparison.TokenCount;
    }
}
