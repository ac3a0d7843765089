using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;

namespace Losses.Benchmarks;

/// <summary>
/// Entropy from logits and the distillation KL with its gradient (float, one thread) against a plain scalar loop, the best
/// TensorPrimitives composition a user could write, and TensorPrimitives.Exp over one array of the same size (the ceiling:
/// one exp per element). Targets: entropy from logits ≤ 1.0× the ceiling; distillation with gradient, which reads two
/// rows of logits, ≤ 2.0×.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class DistributionBenchmarks
{
    private const float Temperature = 2f;
    private float[] _teacher = [];
    private float[] _student = [];
    private float[] _gradient = [];
    private float[] _scratch = [];
    private float[] _scratch2 = [];
    private float[] _scratch3 = [];
    private float[] _rows = [];

    [Params("8x32000", "512x1000")]
    public string Shape { get; set; } = "512x1000";

    private int Rows { get; set; }

    private int Classes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        Rows = int.Parse(Shape.Split('x')[0]);
        Classes = int.Parse(Shape.Split('x')[1]);
        var random = new Random(42);
        _teacher = [.. Enumerable.Range(0, Rows * Classes).Select(_ => (float)(random.NextDouble() * 20 - 10))];
        _student = [.. _teacher.Select(v => v + (float)(random.NextDouble() * 2 - 1))];
        _gradient = new float[_teacher.Length];
        _scratch = new float[Classes];
        _scratch2 = new float[Classes];
        _scratch3 = new float[Classes];
        _rows = new float[Rows];
    }

    [BenchmarkCategory("Entropy"), Benchmark(Description = "TensorPrimitives.Exp (ceiling)")]
    public void EntropyExpCeiling() => TensorPrimitives.Exp(_teacher, _gradient);

    [BenchmarkCategory("Entropy"), Benchmark(Description = "Losses Entropy.FromLogits")]
    public void LossesEntropy() => Entropy.FromLogits<float>(_teacher, _rows, Classes);

    [BenchmarkCategory("Entropy"), Benchmark(Baseline = true, Description = "scalar loop")]
    public void ScalarEntropy()
    {
        int c = Classes;
        for (int r = 0; r < Rows; r++)
        {
            var x = _teacher.AsSpan(r * c, c);
            float max = float.NegativeInfinity;
            foreach (float v in x)
            {
                max = MathF.Max(max, v);
            }
            float sum = 0;
            float weighted = 0;
            foreach (float v in x)
            {
                float e = MathF.Exp(v - max);
                sum += e;
                weighted += e * (v - max);
            }
            _rows[r] = MathF.Log(sum) - weighted / sum;
        }
    }

    [BenchmarkCategory("Entropy"), Benchmark(Description = "TP composition")]
    public void TensorPrimitivesEntropy()
    {
        int c = Classes;
        var shifted = _scratch.AsSpan();
        var e = _scratch2.AsSpan();
        for (int r = 0; r < Rows; r++)
        {
            var x = _teacher.AsSpan(r * c, c);
            float max = TensorPrimitives.Max<float>(x);
            TensorPrimitives.Subtract(x, max, shifted);
            TensorPrimitives.Exp(shifted, e);
            float sum = TensorPrimitives.Sum<float>(e);
            _rows[r] = MathF.Log(sum) - TensorPrimitives.Dot<float>(e, shifted) / sum;
        }
    }

    [BenchmarkCategory("Distillation"), Benchmark(Description = "TensorPrimitives.Exp (ceiling)")]
    public void DistillationExpCeiling() => TensorPrimitives.Exp(_teacher, _gradient);

    [BenchmarkCategory("Distillation"), Benchmark(Description = "Losses KLDivergence.Distillation + gradient")]
    public float LossesDistillation() => KLDivergence.Distillation<float>(_teacher, _student, Classes, _gradient, temperature: Temperature, scaleByTemperatureSquared: true);

    [BenchmarkCategory("Distillation"), Benchmark(Description = "Losses KLDivergence.FromLogits (no gradient)")]
    public void LossesKLFromLogits() => KLDivergence.FromLogits<float>(_teacher, _student, _rows, Classes, Temperature);

    [BenchmarkCategory("Distillation"), Benchmark(Baseline = true, Description = "scalar loop")]
    public float ScalarDistillation()
    {
        int c = Classes;
        float inverse = 1 / Temperature;
        float coefficient = Temperature / Rows;
        double total = 0;
        for (int r = 0; r < Rows; r++)
        {
            var t = _teacher.AsSpan(r * c, c);
            var s = _student.AsSpan(r * c, c);
            var g = _gradient.AsSpan(r * c, c);
            float mt = float.NegativeInfinity;
            float ms = float.NegativeInfinity;
            for (int i = 0; i < c; i++)
            {
                mt = MathF.Max(mt, t[i] * inverse);
                ms = MathF.Max(ms, s[i] * inverse);
            }
            float st = 0;
            float ss = 0;
            for (int i = 0; i < c; i++)
            {
                st += MathF.Exp(t[i] * inverse - mt);
                ss += MathF.Exp(s[i] * inverse - ms);
            }
            float logSt = MathF.Log(st);
            float logSs = MathF.Log(ss);
            float kl = 0;
            for (int i = 0; i < c; i++)
            {
                float logP = t[i] * inverse - mt - logSt;
                float logQ = s[i] * inverse - ms - logSs;
                float p = MathF.Exp(logP);
                kl += p * (logP - logQ);
                g[i] = coefficient * (MathF.Exp(logQ) - p);
            }
            total += kl;
        }
        return (float)(total * Temperature * Temperature / Rows);
    }

    [BenchmarkCategory("Distillation"), Benchmark(Description = "TP composition")]
    public float TensorPrimitivesDistillation()
    {
        int c = Classes;
        float inverse = 1 / Temperature;
        float coefficient = Temperature / Rows;
        var logP = _scratch.AsSpan();
        var logQ = _scratch2.AsSpan();
        var p = _scratch3.AsSpan();
        double total = 0;
        for (int r = 0; r < Rows; r++)
        {
            var t = _teacher.AsSpan(r * c, c);
            var s = _student.AsSpan(r * c, c);
            var q = _gradient.AsSpan(r * c, c);

            // log-softmax and softmax of both rows (two exps per element), KL = ⟨p, log p⟩ − ⟨p, log q⟩, g = coefficient · (q − p).
            TensorPrimitives.Multiply(t, inverse, logP);
            TensorPrimitives.Subtract(logP, TensorPrimitives.Max<float>(logP), logP);
            TensorPrimitives.Exp(logP, p);
            float sumP = TensorPrimitives.Sum<float>(p);
            TensorPrimitives.Subtract(logP, MathF.Log(sumP), logP);
            TensorPrimitives.Multiply(p, 1 / sumP, p);
            TensorPrimitives.Multiply(s, inverse, logQ);
            TensorPrimitives.Subtract(logQ, TensorPrimitives.Max<float>(logQ), logQ);
            TensorPrimitives.Exp(logQ, q);
            float sumQ = TensorPrimitives.Sum<float>(q);
            TensorPrimitives.Subtract(logQ, MathF.Log(sumQ), logQ);
            total += TensorPrimitives.Dot<float>(p, logP) - TensorPrimitives.Dot<float>(p, logQ);
            TensorPrimitives.Multiply(q, coefficient / sumQ, q);
            TensorPrimitives.MultiplyAdd(p, -coefficient, q, q);
        }
        return (float)(total * Temperature * Temperature / Rows);
    }
}
