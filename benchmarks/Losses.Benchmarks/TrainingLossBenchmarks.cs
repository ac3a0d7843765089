using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;

namespace Losses.Benchmarks;

/// <summary>
/// Cross-entropy with integer targets (float, mean reduction) forward and forward + gradient, against a plain scalar loop,
/// the best TensorPrimitives composition a user could write, and TensorPrimitives.Exp over the same logits (the ceiling).
/// </summary>
[MemoryDiagnoser]
public class TrainingLossBenchmarks
{
    private float[] _x = [];
    private float[] _g = [];
    private int[] _t = [];

    [Params("4096x10", "512x1000", "8x32000", "2x128000")]
    public string Shape { get; set; } = "512x1000";

    private int Rows { get; set; }

    private int Classes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        Rows = int.Parse(Shape.Split('x')[0]);
        Classes = int.Parse(Shape.Split('x')[1]);
        var random = new Random(42);
        _x = [.. Enumerable.Range(0, Rows * Classes).Select(_ => (float)(random.NextDouble() * 20 - 10))];
        _g = new float[_x.Length];
        _t = [.. Enumerable.Range(0, Rows).Select(_ => random.Next(Classes))];
    }

    [Benchmark(Description = "TensorPrimitives.Exp (ceiling)")]
    public void ExpCeiling() => TensorPrimitives.Exp(_x, _g);

    [Benchmark(Baseline = true, Description = "Losses CE forward")]
    public float Forward() => CrossEntropy.Forward<float>(_x, _t, Classes);

    [Benchmark(Description = "Losses CE forward+gradient")]
    public float ForwardGradient() => CrossEntropy.Forward<float>(_x, _t, Classes, _g);

    [Benchmark(Description = "Losses CE forward+gradient, 2 threads")]
    public float ForwardGradientParallel() => CrossEntropy.Forward<float>(_x, _t, Classes, _g, maxDegreeOfParallelism: 2);

    [Benchmark(Description = "Losses CE forward, 2 threads")]
    public float ForwardParallel() => CrossEntropy.Forward<float>(_x, _t, Classes, maxDegreeOfParallelism: 2);

    [Benchmark(Description = "TP composition forward")]
    public float TensorPrimitivesForward()
    {
        int c = Classes;
        float total = 0;
        for (int r = 0; r < Rows; r++)
        {
            var x = _x.AsSpan(r * c, c);
            var y = _g.AsSpan(r * c, c);
            float max = TensorPrimitives.Max<float>(x);
            TensorPrimitives.Subtract(x, max, y);
            TensorPrimitives.Exp(y, y);
            total += max + MathF.Log(TensorPrimitives.Sum<float>(y)) - x[_t[r]];
        }
        return total / Rows;
    }

    [Benchmark(Description = "TP composition forward+gradient")]
    public float TensorPrimitivesForwardGradient()
    {
        int c = Classes;
        float total = 0;
        float scale = 1f / Rows;
        for (int r = 0; r < Rows; r++)
        {
            var x = _x.AsSpan(r * c, c);
            var y = _g.AsSpan(r * c, c);
            float max = TensorPrimitives.Max<float>(x);
            TensorPrimitives.Subtract(x, max, y);
            TensorPrimitives.Exp(y, y);
            float sum = TensorPrimitives.Sum<float>(y);
            total += max + MathF.Log(sum) - x[_t[r]];
            TensorPrimitives.Multiply(y, scale / sum, y);
            y[_t[r]] -= scale;
        }
        return total / Rows;
    }

    [Benchmark(Description = "scalar loop forward+gradient")]
    public float ScalarForwardGradient()
    {
        int c = Classes;
        float total = 0;
        float scale = 1f / Rows;
        for (int r = 0; r < Rows; r++)
        {
            var x = _x.AsSpan(r * c, c);
            var y = _g.AsSpan(r * c, c);
            float max = float.NegativeInfinity;
            foreach (float v in x) max = MathF.Max(max, v);
            float sum = 0;
            for (int i = 0; i < c; i++) sum += y[i] = MathF.Exp(x[i] - max);
            total += max + MathF.Log(sum) - x[_t[r]];
            float inv = scale / sum;
            for (int i = 0; i < c; i++) y[i] *= inv;
            y[_t[r]] -= scale;
        }
        return total / Rows;
    }
}
