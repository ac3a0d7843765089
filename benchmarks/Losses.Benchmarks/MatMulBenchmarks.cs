using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using BenchmarkDotNet.Attributes;

namespace Losses.Benchmarks;

/// <summary>
/// MatrixMultiply (float, one thread) at square sizes and the LM-head shape, next to a micro-benchmark of twelve independent
/// Vector512 FMA chains that measures this machine's single-core FMA peak in the same run. GFLOP/s = 2·m·n·k / time; the
/// peak's flops are <see cref="PeakFlops"/>. Target: ≥ 50% of the peak for sizes ≥ 256.
/// </summary>
[MemoryDiagnoser]
public class MatMulBenchmarks
{
    /// <summary>Flops of one <see cref="FmaPeak"/> call: iterations × 12 chains × 16 lanes × 2.</summary>
    public const long PeakFlops = PeakIterations * 12 * 16 * 2;

    private const int PeakIterations = 1 << 20;

    private float[] _a = [];
    private float[] _b = [];
    private float[] _c = [];

    /// <summary>m×n×k: square sizes, and the LM head's logits 512 tokens × 32000 vocabulary × 256 hidden.</summary>
    [Params("256x256x256", "512x512x512", "1024x1024x1024", "512x32000x256")]
    public string Shape { get; set; } = "256x256x256";

    private int M { get; set; }

    private int N { get; set; }

    private int K { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        int[] s = [.. Shape.Split('x').Select(int.Parse)];
        (M, N, K) = (s[0], s[1], s[2]);
        var random = new Random(42);
        _a = [.. Enumerable.Range(0, M * K).Select(_ => (float)random.NextDouble())];
        _b = [.. Enumerable.Range(0, N * K).Select(_ => (float)random.NextDouble())];
        _c = new float[M * N];
    }

    [Benchmark(Description = "A·B")]
    public void Multiply() => MatrixMultiply.Multiply<float>(_a, _b, _c, M, N, K);

    [Benchmark(Description = "A·Bᵀ")]
    public void MultiplyTransposedB() => MatrixMultiply.MultiplyTransposedB<float>(_a, _b, _c, M, N, K);

    [Benchmark(Description = "Aᵀ·B")]
    public void MultiplyTransposedA() => MatrixMultiply.MultiplyTransposedA<float>(_a, _b, _c, M, N, K);

    /// <summary>Twelve independent Vector512 FMA chains: <see cref="PeakFlops"/> flops at the core's FMA throughput.</summary>
    [Benchmark(Description = "FMA peak (12 chains)")]
    public float FmaPeak() => Chains(PeakIterations);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float Chains(int iterations)
    {
        Vector512<float> x = Vector512.Create(1.0001f);
        Vector512<float> y = Vector512.Create(0.9999f);
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default;
        Vector512<float> c6 = default, c7 = default, c8 = default, c9 = default, c10 = default, c11 = default;
        for (int i = 0; i < iterations; i++)
        {
            c0 = Vector512.FusedMultiplyAdd(x, y, c0);
            c1 = Vector512.FusedMultiplyAdd(x, y, c1);
            c2 = Vector512.FusedMultiplyAdd(x, y, c2);
            c3 = Vector512.FusedMultiplyAdd(x, y, c3);
            c4 = Vector512.FusedMultiplyAdd(x, y, c4);
            c5 = Vector512.FusedMultiplyAdd(x, y, c5);
            c6 = Vector512.FusedMultiplyAdd(x, y, c6);
            c7 = Vector512.FusedMultiplyAdd(x, y, c7);
            c8 = Vector512.FusedMultiplyAdd(x, y, c8);
            c9 = Vector512.FusedMultiplyAdd(x, y, c9);
            c10 = Vector512.FusedMultiplyAdd(x, y, c10);
            c11 = Vector512.FusedMultiplyAdd(x, y, c11);
        }
        return (c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11).ToScalar();
    }
}
