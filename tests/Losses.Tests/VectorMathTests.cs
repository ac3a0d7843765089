using System.Runtime.Intrinsics;
using Losses.Kernels;

namespace Losses.Tests;

/// <summary>Accuracy of the inlined exp, log and log1p on every width, against Math (correctly rounded in practice).</summary>
public class VectorMathTests
{
    // Sweeps every 97th float bit pattern over the finite range: about 44 million / 97 = 450k values per sign.
    private static IEnumerable<float> FloatSweep(float lo, float hi)
    {
        for (long bits = 0; bits < 0x7F800000; bits += 97)
        {
            float v = BitConverter.Int32BitsToSingle((int)bits);
            if (v >= lo && v <= hi) yield return v;
            float n = -v;
            if (n >= lo && n <= hi) yield return n;
        }
    }

    private static IEnumerable<double> DoubleSweep(double lo, double hi, int count = 400_000)
    {
        var random = new Random(7);
        for (int i = 0; i < count; i++)
        {
            // Uniform in the bit patterns (so every exponent is covered), both signs.
            long bits = random.NextInt64(0, 0x7FF0000000000000);
            double v = BitConverter.Int64BitsToDouble(bits) * (random.Next(2) == 0 ? 1 : -1);
            if (v >= lo && v <= hi) yield return v;
        }
    }

    [Fact]
    public void Exp_float_is_within_one_ulp_over_the_finite_range()
    {
        long worst = 0;
        float worstAt = 0;
        foreach (float x in FloatSweep(-110f, 90f))
        {
            float actual = VectorMath<Scalar<float>, float, float>.Exp(x);
            float expected = (float)Math.Exp(x);
            long ulps = Approx.Ulps(expected, actual);
            if (ulps > worst) { worst = ulps; worstAt = x; }
        }
        Assert.True(worst <= 1, $"worst {worst} ulp at x = {worstAt:R}");
    }

    [Theory]
    [InlineData(-10f, 0f, 2)]
    [InlineData(-110f, 0f, 5)]
    public void Exp_term_float_is_within_its_stated_ulp(float from, float to, int bound)
    {
        // The normalizer's term exp (one-multiply-add reduction, degree-5 polynomial): ≤ 2 ulp near e⁰, where the terms
        // that make a softmax sum are, and ≤ 5 ulp for the tiny ones (the rounding of n·ln2 grows with n).
        long worst = 0;
        float worstAt = 0;
        foreach (float x in FloatSweep(from, to))
        {
            float actual = VectorMath<Scalar<float>, float, float>.ExpTerm(x);
            long ulps = Approx.Ulps((float)Math.Exp(x), actual);
            if (ulps > worst) { worst = ulps; worstAt = x; }
        }
        Assert.True(worst <= bound, $"worst {worst} ulp at x = {worstAt:R}");
        Assert.Equal(0f, VectorMath<Scalar<float>, float, float>.ExpTerm(float.NegativeInfinity));
        Assert.Equal(1f, VectorMath<Scalar<float>, float, float>.ExpTerm(0f));
        Assert.True(float.IsNaN(VectorMath<Scalar<float>, float, float>.ExpTerm(float.NaN)));
        Assert.Equal(VectorMath<Scalar<float>, float, float>.ExpTerm(-3.25f), VectorMath<V128<float>, Vector128<float>, float>.ExpTerm(Vector128.Create(-3.25f)).GetElement(3));
    }

    [Fact]
    public void Exp_term_flushed_is_the_term_exp_down_to_its_cut_and_zero_below()
    {
        // Float: the same bits as ExpTerm from −86.5 up, 0 below; double: those of ExpNonPositive from −708 up.
        foreach (float x in FloatSweep(-120f, 0f))
        {
            float expected = x < -86.5f ? 0f : VectorMath<Scalar<float>, float, float>.ExpTerm(x);
            Assert.Equal(expected, VectorMath<Scalar<float>, float, float>.ExpTermFlushed(x));
        }
        foreach (double x in DoubleSweep(-760, 0))
        {
            double expected = x < -708 ? 0 : VectorMath<Scalar<double>, double, double>.ExpNonPositive(x);
            Assert.Equal(expected, VectorMath<Scalar<double>, double, double>.ExpTermFlushed(x));
        }
        foreach (float x in new[] { float.NegativeInfinity, float.MinValue, -1e30f, -3e6f, -86.5f, -86.49f })
        {
            Assert.Equal(x < -86.5f ? 0f : VectorMath<Scalar<float>, float, float>.ExpTerm(x), VectorMath<Scalar<float>, float, float>.ExpTermFlushed(x));
        }
        Assert.Equal(1f, VectorMath<Scalar<float>, float, float>.ExpTermFlushed(0f));
        Assert.Equal(0.0, VectorMath<Scalar<double>, double, double>.ExpTermFlushed(double.NegativeInfinity));
        Assert.True(float.IsNaN(VectorMath<Scalar<float>, float, float>.ExpTermFlushed(float.NaN)));
        Assert.True(float.IsNaN(VectorMath<Scalar<float>, float, float>.ExpTermFlushed(BitConverter.Int32BitsToSingle(0x7FC00001))));
        Assert.True(double.IsNaN(VectorMath<Scalar<double>, double, double>.ExpTermFlushed(double.NaN)));
    }

    [Fact]
    public void Exp_and_term_exps_give_every_width_the_scalar_bits()
    {
        // Vectors mixing lanes whose results are normal with lanes in the subnormals, 0, +∞ and NaN: without vscalef the
        // whole vector then takes the two-step scaling, otherwise one product; the bits are the same either way.
        float[] x = [.. FloatSweep(-110f, 90f), float.NegativeInfinity, float.PositiveInfinity, float.NaN, -1e30f];
        for (int i = 0; i + 8 <= x.Length; i += 3)
        {
            var v128 = Vector128.Create(x[i], x[i + 1], x[i + 2], x[i + 3]);
            var v256 = Vector256.Create(x.AsSpan(i, 8));
            var exp128 = VectorMath<V128<float>, Vector128<float>, float>.Exp(v128);
            var exp256 = VectorMath<V256<float>, Vector256<float>, float>.Exp(v256);
            var flushed256 = VectorMath<V256<float>, Vector256<float>, float>.ExpTermFlushed(Vector256.Min(v256, Vector256<float>.Zero));
            for (int k = 0; k < 8; k++)
            {
                float scalar = VectorMath<Scalar<float>, float, float>.Exp(x[i + k]);
                Assert.Equal(scalar, exp256[k]);
                Assert.Equal(VectorMath<Scalar<float>, float, float>.ExpTermFlushed(Math.Min(x[i + k], 0f)), flushed256[k]);
                if (k < 4)
                {
                    Assert.Equal(scalar, exp128[k]);
                }
            }
        }
        double[] d = [.. DoubleSweep(-760, 712), double.NegativeInfinity, double.PositiveInfinity, double.NaN];
        for (int i = 0; i + 4 <= d.Length; i += 3)
        {
            var v256 = Vector256.Create(d.AsSpan(i, 4));
            var exp256 = VectorMath<V256<double>, Vector256<double>, double>.Exp(v256);
            var flushed256 = VectorMath<V256<double>, Vector256<double>, double>.ExpTermFlushed(Vector256.Min(v256, Vector256<double>.Zero));
            for (int k = 0; k < 4; k++)
            {
                Assert.Equal(VectorMath<Scalar<double>, double, double>.Exp(d[i + k]), exp256[k]);
                Assert.Equal(VectorMath<Scalar<double>, double, double>.ExpTermFlushed(Math.Min(d[i + k], 0)), flushed256[k]);
            }
        }
    }

    [Fact]
    public void Exp_double_is_within_one_ulp_over_the_finite_range()
    {
        double worst = 0, worstAt = 0;
        foreach (double x in DoubleSweep(-750, 712))
        {
            double actual = VectorMath<Scalar<double>, double, double>.Exp(x);
            double ulps = Approx.Ulps(Math.Exp(x), actual);
            if (ulps > worst) { worst = ulps; worstAt = x; }
        }
        Assert.True(worst <= 1, $"worst {worst} ulp at x = {worstAt:R}");
    }

    [Theory]
    [InlineData(0.0, 1.0)]
    [InlineData(double.NegativeInfinity, 0.0)]
    [InlineData(double.PositiveInfinity, double.PositiveInfinity)]
    [InlineData(double.NaN, double.NaN)]
    [InlineData(-1000.0, 0.0)]
    [InlineData(1000.0, double.PositiveInfinity)]
    public void Exp_special_values(double x, double expected)
    {
        Assert.Equal(expected, VectorMath<Scalar<double>, double, double>.Exp(x));
        Assert.Equal((float)expected, VectorMath<Scalar<float>, float, float>.Exp((float)x));
        Assert.Equal((float)expected, VectorMath<V128<float>, Vector128<float>, float>.Exp(Vector128.Create((float)x)).GetElement(3));
    }

    [Fact]
    public void Exp_float_subnormal_and_overflow_edges()
    {
        foreach (float x in new[] { -87.3f, -88f, -100f, -103.27893f, -103.97208f, -104f, 88.72283f, 88.72284f, 88.8f })
        {
            Assert.True(Approx.Ulps((float)Math.Exp(x), VectorMath<Scalar<float>, float, float>.Exp(x)) <= 1, $"x = {x:R}");
        }
    }

    [Fact]
    public void Log_float_is_within_one_ulp_over_the_positive_range()
    {
        long worst = 0;
        float worstAt = 0;
        foreach (float x in FloatSweep(0f, float.MaxValue))
        {
            if (x <= 0) continue;
            long ulps = Approx.Ulps((float)Math.Log(x), VectorMath<Scalar<float>, float, float>.Log(x));
            if (ulps > worst) { worst = ulps; worstAt = x; }
        }
        Assert.True(worst <= 1, $"worst {worst} ulp at x = {worstAt:R}");
    }

    [Fact]
    public void Log_double_is_within_one_ulp_over_the_positive_range()
    {
        double worst = 0, worstAt = 0;
        foreach (double x in DoubleSweep(double.Epsilon, double.MaxValue))
        {
            double ulps = Approx.Ulps(Math.Log(x), VectorMath<Scalar<double>, double, double>.Log(x));
            if (ulps > worst) { worst = ulps; worstAt = x; }
        }
        Assert.True(worst <= 1, $"worst {worst} ulp at x = {worstAt:R}");
    }

    [Theory]
    [InlineData(0.0, double.NegativeInfinity)]
    [InlineData(-1.0, double.NaN)]
    [InlineData(double.PositiveInfinity, double.PositiveInfinity)]
    [InlineData(double.NaN, double.NaN)]
    [InlineData(1.0, 0.0)]
    public void Log_special_values(double x, double expected)
    {
        Assert.Equal(expected, VectorMath<Scalar<double>, double, double>.Log(x));
        Assert.Equal((float)expected, VectorMath<Scalar<float>, float, float>.Log((float)x));
    }

    [Fact]
    public void Log1P_is_accurate_for_tiny_and_large_arguments()
    {
        // TensorPrimitives.LogP1(1e-7f) is log(1 + 1e-7f) = 1.19e-7; the true value is 9.9999995e-8.
        Assert.Equal(9.9999995e-8f, VectorMath<Scalar<float>, float, float>.Log1P(1e-7f));
        var random = new Random(3);
        for (int i = 0; i < 100_000; i++)
        {
            double y = Math.Exp(random.NextDouble() * 80 - 60) * (random.Next(4) == 0 ? -0.999 : 1);
            y = Math.Max(y, -0.999);
            Assert.True(Approx.Ulps(LogP1Reference(y), VectorMath<Scalar<double>, double, double>.Log1P(y)) <= 2, $"y = {y:R}");
            float yf = (float)y;
            Assert.True(Approx.Ulps((float)LogP1Reference(yf), VectorMath<Scalar<float>, float, float>.Log1P(yf)) <= 2, $"y = {yf:R}");
        }
        Assert.Equal(double.NegativeInfinity, VectorMath<Scalar<double>, double, double>.Log1P(-1));
        Assert.True(double.IsNaN(VectorMath<Scalar<double>, double, double>.Log1P(-2)));
        Assert.Equal(double.PositiveInfinity, VectorMath<Scalar<double>, double, double>.Log1P(double.PositiveInfinity));
    }

    // log1p in double via the same correction, evaluated with Math.Log: accurate to ~1 ulp of double.
    private static double LogP1Reference(double y)
    {
        double u = 1 + y;
        return u == 1 ? y : Math.Log(u) * y / (u - 1);
    }

    [Fact]
    public void Softplus_keeps_tiny_values()
    {
        // softplus(-17) = log1p(e^-17) = 4.139937633089e-8; a log(1 + e^x) form returns 0 in float.
        Assert.Equal(4.1399377e-8f, VectorMath<Scalar<float>, float, float>.Softplus(-17f), 1e-14f);
        Assert.Equal(17f + 4.1399377e-8f, VectorMath<Scalar<float>, float, float>.Softplus(17f));
        Assert.Equal(1e4, VectorMath<Scalar<double>, double, double>.Softplus(1e4));
        Assert.Equal(0.0, VectorMath<Scalar<double>, double, double>.Softplus(-1e4));
    }

    [Fact]
    public void Every_width_returns_the_same_bits_as_the_scalar_path()
    {
        var random = new Random(11);
        var values = new float[16];
        for (int trial = 0; trial < 2000; trial++)
        {
            for (int i = 0; i < values.Length; i++) values[i] = (float)(random.NextDouble() * 200 - 100);
            var v128 = VectorMath<V128<float>, Vector128<float>, float>.Exp(Vector128.Create(values.AsSpan(0, 4)));
            var v256 = VectorMath<V256<float>, Vector256<float>, float>.Log(Vector256.Abs(Vector256.Create(values.AsSpan(0, 8))));
            for (int i = 0; i < 4; i++) Assert.Equal(VectorMath<Scalar<float>, float, float>.Exp(values[i]), v128.GetElement(i));
            for (int i = 0; i < 8; i++) Assert.Equal(VectorMath<Scalar<float>, float, float>.Log(Math.Abs(values[i])), v256.GetElement(i));
            if (Vector512.IsHardwareAccelerated)
            {
                var v512 = VectorMath<V512<float>, Vector512<float>, float>.Exp(Vector512.Create(values));
                for (int i = 0; i < 16; i++) Assert.Equal(VectorMath<Scalar<float>, float, float>.Exp(values[i]), v512.GetElement(i));
            }
        }
    }
}
