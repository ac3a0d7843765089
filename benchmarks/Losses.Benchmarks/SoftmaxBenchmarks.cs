using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;

namespace Losses.Benchmarks;

/// <summary>
/// The softmax family (float, one thread) against a plain scalar loop, the best TensorPrimitives composition a user could
/// write, TensorPrimitives.SoftMax (which does not subtract the max), and TensorPrimitives.Exp over the same data (the
/// ceiling: one exp per element, one read, one write).
/// </summary>
[MemoryDiagnoser]
public class SoftmaxBenchmarks
{
    private float[] _x = [];
    private float[] _y = [];
    private float[] _rows = [];

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
        _y = new float[_x.Length];
        _rows = new float[Rows];
    }

    [Benchmark(Description = "TensorPrimitives.Exp (ceiling)")]
    public void ExpCeiling() => TensorPrimitives.Exp(_x, _y);

    [Benchmark(Baseline = true, Description = "Losses Softmax")]
    public void LossesSoftmax() => Softmax.Forward<float>(_x, _y, Classes);

    [Benchmark(Description = "Losses LogSoftmax")]
    public void LossesLogSoftmax() => LogSoftmax.Forward<float>(_x, _y, Classes);

    [Benchmark(Description = "Losses LogSumExp")]
    public void LossesLogSumExp() => LogSumExp.Forward<float>(_x, _rows, Classes);

    [Benchmark(Description = "TP composition softmax")]
    public void TensorPrimitivesSoftmax()
    {
        int c = Classes;
        for (int r = 0; r < Rows; r++)
        {
            var x = _x.AsSpan(r * c, c);
            var y = _y.AsSpan(r * c, c);
            float max = TensorPrimitives.Max<float>(x);
            TensorPrimitives.Subtract(x, max, y);
            TensorPrimitives.Exp(y, y);
            TensorPrimitives.Divide(y, TensorPrimitives.Sum<float>(y), y);
        }
    }

    [Benchmark(Description = "TP composition logsumexp")]
    public void TensorPrimitivesLogSumExp()
    {
        int c = Classes;
        for (int r = 0; r < Rows; r++)
        {
            var x = _x.AsSpan(r * c, c);
            var y = _y.AsSpan(r * c, c);
            float max = TensorPrimitives.Max<float>(x);
            TensorPrimitives.Subtract(x, max, y);
            TensorPrimitives.Exp(y, y);
            _rows[r] = max + MathF.Log(TensorPrimitives.Sum<float>(y));
        }
    }

    [Benchmark(Description = "TensorPrimitives.SoftMax (no max, NaN on overflow)")]
    public void TensorPrimitivesSoftMax()
    {
        int c = Classes;
        for (int r = 0; r < Rows; r++)
        {
            TensorPrimitives.SoftMax(_x.AsSpan(r * c, c), _y.AsSpan(r * c, c));
        }
    }

    [Benchmark(Description = "scalar loop softmax")]
    public void ScalarSoftmax()
    {
        int c = Classes;
        for (int r = 0; r < Rows; r++)
        {
            var x = _x.AsSpan(r * c, c);
            var y = _y.AsSpan(r * c, c);
            float max = float.NegativeInfinity;
            foreach (float v in x) max = MathF.Max(max, v);
            float sum = 0;
            for (int i = 0; i < c; i++) sum += y[i] = MathF.Exp(x[i] - max);
            float inv = 1 / sum;
            for (int i = 0; i < c; i++) y[i] *= inv;
        }
    }
}
