using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using Losses.Kernels;

namespace Losses.Tests;

/// <summary>The shared drift-free sum: float sums stay within a few ulp for long spans on every width.</summary>
public class SummationTests
{
    [Fact]
    public void Sixteen_million_tenths_sum_to_within_a_few_ulp()
    {
        var x = new float[16 << 20];
        Array.Fill(x, 0.1f);
        double exact = (double)0.1f * x.Length;
        float ours = Sum(x);
        float naive = TensorPrimitives.Sum<float>(x);
        Assert.True(Approx.Ulps((float)exact, ours) <= 4, $"ours {ours:R}, exact {exact:R}");
        // The reason this kernel exists: TensorPrimitives.Sum drifts by about 1% here.
        Assert.True(Math.Abs(naive - exact) / exact > 1e-3, $"TensorPrimitives.Sum {naive:R}");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(15)]
    [InlineData(17)]
    [InlineData(1000)]
    [InlineData(1_000_003)]
    public void Random_sums_are_within_a_few_ulp_on_every_width(int n)
    {
        var random = new Random(n);
        float[] x = [.. Enumerable.Range(0, n).Select(_ => (float)random.NextDouble())];
        float[] y = [.. Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() - 0.3))];
        double exact = x.Sum(v => (double)v);
        double exactDot = x.Zip(y, (a, b) => (double)a * b).Sum();
        Assert.True(Approx.Ulps((float)exact, Rows<Scalar<float>, float, float>.Sum(in x[0], n)) <= 4);
        Assert.True(Approx.Ulps((float)exact, Sum(x)) <= 4);
        if (n >= 4)
        {
            Assert.True(Approx.Ulps((float)exact, Rows<V128<float>, Vector128<float>, float>.Sum(in x[0], n)) <= 4);
            Assert.True(Approx.Ulps((float)exactDot, Rows<V128<float>, Vector128<float>, float>.Dot(in x[0], in y[0], n)) <= 8);
        }
        if (n >= 16 && Vector512.IsHardwareAccelerated)
        {
            Assert.True(Approx.Ulps((float)exactDot, Rows<V512<float>, Vector512<float>, float>.Dot(in x[0], in y[0], n)) <= 8);
        }
    }

    private static float Sum(float[] x) =>
        Vector256.IsHardwareAccelerated && x.Length >= 8
            ? Rows<V256<float>, Vector256<float>, float>.Sum(in x[0], x.Length)
            : Rows<Scalar<float>, float, float>.Sum(in x[0], x.Length);
}
