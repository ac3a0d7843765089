using BenchmarkDotNet.Attributes;

namespace Losses.Benchmarks;

/// <summary>BCE with logits (float, mean, forward + gradient) over 1e7 elements, with and without a posWeight of 10 classes.</summary>
[MemoryDiagnoser]
public class BinaryCrossEntropyBenchmarks
{
    private const int Classes = 10;
    private float[] _x = [];
    private float[] _y = [];
    private float[] _g = [];
    private float[] _posWeight = [];

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        _x = [.. Enumerable.Range(0, 10_000_000).Select(_ => (float)((random.NextDouble() * 20) - 10))];
        _y = [.. Enumerable.Range(0, _x.Length).Select(_ => (float)random.Next(2))];
        _g = new float[_x.Length];
        _posWeight = [.. Enumerable.Range(0, Classes).Select(i => 0.5f + i)];
    }

    [Benchmark(Baseline = true, Description = "BCE with logits, no posWeight")]
    public float Plain() => BinaryCrossEntropy.ForwardWithLogits<float>(_x, _y, _g);

    [Benchmark(Description = "BCE with logits, posWeight[10]")]
    public float PosWeight() => BinaryCrossEntropy.ForwardWithLogits<float>(_x, _y, _g, posWeight: _posWeight);
}
