using BenchmarkDotNet.Attributes;

namespace Losses.Benchmarks;

/// <summary>
/// LLM-scale cross-entropy (float, one thread), each with its gradient: the one-shot fused cross-entropy (baseline); the
/// same through 4 vocabulary slices (forward, combine, loss, backward per slice); with a z-loss; token log-probabilities and
/// entropies (forward, then backward for upstream gradients of both); and the vocabulary-slice op on float and on Half
/// logits (per element, the same op).
/// </summary>
[MemoryDiagnoser]
public class LlmCrossEntropyBenchmarks
{
    private const int Slices = 4;
    private float[] _x = [];
    private Half[] _half = [];
    private float[] _g = [];
    private int[] _t = [];
    private long[] _tl = [];
    private float[] _lp = [];
    private float[] _h = [];
    private float[] _dlp = [];
    private float[] _dh = [];
    private VocabularyPartial[] _combined = [];
    private VocabularyPartial[] _partial = [];

    [Params("8x32000", "2x128000", "512x1000")]
    public string Shape { get; set; } = "8x32000";

    private int Rows { get; set; }

    private int Classes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        Rows = int.Parse(Shape.Split('x')[0]);
        Classes = int.Parse(Shape.Split('x')[1]);
        var random = new Random(42);
        _x = [.. Enumerable.Range(0, Rows * Classes).Select(_ => (float)((random.NextDouble() * 20) - 10))];
        _half = [.. _x.Select(v => (Half)v)];
        _g = new float[_x.Length];
        _t = [.. Enumerable.Range(0, Rows).Select(_ => random.Next(Classes))];
        _tl = [.. _t.Select(t => (long)t)];
        _lp = new float[Rows];
        _h = new float[Rows];
        _dlp = [.. Enumerable.Range(0, Rows).Select(_ => (float)random.NextDouble())];
        _dh = [.. Enumerable.Range(0, Rows).Select(_ => (float)random.NextDouble())];
        _combined = new VocabularyPartial[Rows];
        _partial = new VocabularyPartial[Rows];
    }

    [Benchmark(Baseline = true, Description = "CE forward+gradient (one-shot)")]
    public float OneShot() => CrossEntropy.Forward<float>(_x, _t, Classes, _g);

    [Benchmark(Description = "CE forward+gradient, 4 slices")]
    public float Sliced()
    {
        int c = Classes, width = c / Slices;
        Array.Clear(_combined);
        for (int s = 0; s < Slices; s++)
        {
            CrossEntropySlices.Forward<float>(_x.AsSpan(s * width), _t, _partial, c, s * width, width, stride: c);
            CrossEntropySlices.Combine(_partial, _combined);
        }
        float loss = CrossEntropySlices.Loss<float>(_combined, c);
        for (int s = 0; s < Slices; s++)
        {
            CrossEntropySlices.Backward<float>(_x.AsSpan(s * width), _combined, _g.AsSpan(s * width), c, s * width, width, stride: c);
        }
        return loss;
    }

    [Benchmark(Description = "CE forward+gradient, z-loss 1e-4")]
    public float ZLoss() => CrossEntropy.Forward<float>(_x, _t, Classes, _g, zLoss: 1e-4);

    [Benchmark(Description = "token log-prob+entropy, forward then gradient")]
    public float Token()
    {
        TokenLogProbabilities.Forward<float>(_x, _t, _lp, Classes, _h);
        TokenLogProbabilities.Backward<float>(_x, _t, _dlp, _dh, _g, Classes);
        return _lp[0];
    }

    [Benchmark(Description = "token log-prob+entropy, gradient only")]
    public float TokenGradient()
    {
        TokenLogProbabilities.Backward<float>(_x, _t, _dlp, _dh, _g, Classes);
        return _g[0];
    }

    [Benchmark(Description = "slice op, float logits (long targets)")]
    public float SliceOpFloat() => CrossEntropy.Forward<float>(_x, _tl, Classes, _g);

    [Benchmark(Description = "slice op, Half logits")]
    public float SliceOpHalf() => CrossEntropy.Forward(_half, _tl, Classes, _g);
}
