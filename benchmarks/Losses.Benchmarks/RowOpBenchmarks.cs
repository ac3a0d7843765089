using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;

namespace Losses.Benchmarks;

/// <summary>
/// Every row op at the short-row shape 4096 × 10 (float, one thread), where per-row overhead dominates unless the
/// rows-in-lanes block path runs, against TensorPrimitives.Exp over the same 40 960 elements (the baseline: one exp per
/// element, one read, one write). Issue 11's targets: ≤ 3× Exp for every op, ≤ 1.5× for integer-target cross-entropy.
/// </summary>
[MemoryDiagnoser]
public class RowOpBenchmarks
{
    private const int Rows = 4096;
    private const int Classes = 10;
    private float[] _x = [];
    private float[] _t = [];
    private float[] _p = [];
    private float[] _dy = [];
    private float[] _y = [];
    private float[] _rows = [];
    private int[] _targets = [];

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        _x = [.. Enumerable.Range(0, Rows * Classes).Select(_ => (float)(random.NextDouble() * 20 - 10))];
        _t = [.. Enumerable.Range(0, Rows * Classes).Select(_ => (float)(random.NextDouble() * 20 - 10))];
        _dy = [.. Enumerable.Range(0, Rows * Classes).Select(_ => (float)(random.NextDouble() - 0.5))];
        _p = new float[_x.Length];
        Softmax.Forward<float>(_t, _p, Classes);
        _y = new float[_x.Length];
        _rows = new float[Rows];
        _targets = [.. Enumerable.Range(0, Rows).Select(_ => random.Next(Classes))];
    }

    [Benchmark(Baseline = true, Description = "TensorPrimitives.Exp")]
    public void Exp() => TensorPrimitives.Exp(_x, _y);

    [Benchmark(Description = "Softmax")]
    public void SoftmaxForward() => Softmax.Forward<float>(_x, _y, Classes);

    [Benchmark(Description = "Softmax.Backward")]
    public void SoftmaxBackward() => Softmax.Backward<float>(_p, _dy, _y, Classes);

    [Benchmark(Description = "LogSoftmax")]
    public void LogSoftmaxForward() => LogSoftmax.Forward<float>(_x, _y, Classes);

    [Benchmark(Description = "LogSoftmax.Backward")]
    public void LogSoftmaxBackward() => LogSoftmax.Backward<float>(_t, _dy, _y, Classes);

    [Benchmark(Description = "LogSumExp")]
    public void LogSumExpForward() => LogSumExp.Forward<float>(_x, _rows, Classes);

    [Benchmark(Description = "Entropy.FromLogits")]
    public void EntropyFromLogits() => Entropy.FromLogits<float>(_x, _rows, Classes);

    [Benchmark(Description = "KLDivergence.FromLogits")]
    public void KLFromLogits() => KLDivergence.FromLogits<float>(_t, _x, _rows, Classes);

    [Benchmark(Description = "Distillation + gradient")]
    public float Distillation() => KLDivergence.Distillation<float>(_t, _x, Classes, _y, temperature: 2);

    [Benchmark(Description = "CE soft targets + gradient")]
    public float SoftTargetCrossEntropy() => CrossEntropy.ForwardWithProbabilities<float>(_x, _p, Classes, _y);

    [Benchmark(Description = "CE integer targets")]
    public float CrossEntropyForward() => CrossEntropy.Forward<float>(_x, _targets, Classes);

    [Benchmark(Description = "CE integer targets + gradient")]
    public float CrossEntropyGradient() => CrossEntropy.Forward<float>(_x, _targets, Classes, _y);
}
