using Losses.Kernels;

namespace Losses.Tests;

/// <summary>Vocabulary slices: bad input, masks under the soft-cap, finite differences, allocation, the kernels' tanh and 16-bit conversions.</summary>
public class CrossEntropySlicesTests
{
    private static (float[] X, int[] T) Batch(int rows, int classes, int seed = 1)
    {
        var random = new Random(seed);
        return ([.. Enumerable.Range(0, rows * classes).Select(_ => (float)((random.NextDouble() * 20) - 10))],
            [.. Enumerable.Range(0, rows).Select(_ => random.Next(classes))]);
    }

    [Fact]
    public void Slice_outside_the_vocabulary_is_rejected_before_writing()
    {
        var (x, t) = Batch(2, 10);
        var partials = new VocabularyPartial[2];
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => CrossEntropySlices.Forward<float>(x, t, partials, 10, 8, 3, stride: 10));
        Assert.Equal("width", e.ParamName);
        Assert.Equal("offset", Assert.Throws<ArgumentOutOfRangeException>(() => CrossEntropySlices.Forward<float>(x, t, partials, 10, -1, 3, stride: 10)).ParamName);
        Assert.Equal("offset", Assert.Throws<ArgumentOutOfRangeException>(() => CrossEntropySlices.Forward<float>(x, t, partials, 10, 10, 1, stride: 10)).ParamName);
        Assert.Equal("logits", Assert.Throws<ArgumentException>(() => CrossEntropySlices.Forward<float>(x.AsSpan(5), t, partials, 10, 0, 6, stride: 10)).ParamName);
        Assert.All(partials, p => Assert.Equal(default, p));
    }

    [Fact]
    public void Target_outside_the_vocabulary_names_its_row()
    {
        var (x, _) = Batch(3, 10);
        var partials = new VocabularyPartial[3];
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => CrossEntropySlices.Forward<float>(x, [1, 10, 2], partials, 10, 0, 10));
        Assert.Equal("targets", e.ParamName);
        Assert.Contains("targets[1] = 10", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => CrossEntropySlices.Forward<float>(x, [1L, -1L, 2L], partials, 10, 0, 10));
        Assert.All(partials, p => Assert.Equal(default, p));
    }

    [Fact]
    public void Partials_of_different_batches_do_not_combine()
    {
        var (x, t) = Batch(3, 10);
        var a = new VocabularyPartial[3];
        var b = new VocabularyPartial[3];
        CrossEntropySlices.Forward<float>(x, t, a, 10, 0, 5, stride: 10);
        CrossEntropySlices.Forward<float>(x.AsSpan(5), [t[0], (t[1] + 1) % 10, t[2]], b, 10, 5, 5, stride: 10);
        var before = a.ToArray();
        var e = Assert.Throws<ArgumentException>(() => CrossEntropySlices.Combine(b, a));
        Assert.Contains("partials[1]", e.Message);
        Assert.Equal(before, a);
        Assert.Throws<ArgumentException>(() => CrossEntropySlices.Combine(b.AsSpan(0, 2), a));
        Assert.Throws<ArgumentException>(() => VocabularyPartial.Combine(a[1], b[1]));

        // The same slice twice holds the target twice, or covers too many columns.
        CrossEntropySlices.Forward<float>(x, t, a, 10, 0, 10);
        Assert.Throws<ArgumentException>(() => CrossEntropySlices.Combine(a, a.ToArray()));
        CrossEntropySlices.Forward<float>(x, t, a, 10, 0, 5, stride: 10);
        Assert.Contains("partials[0] covers 5 of the 10", Assert.Throws<ArgumentException>(() => CrossEntropySlices.Loss<float>(a, 10)).Message);
    }

    [Fact]
    public void Options_out_of_range_name_themselves()
    {
        var (x, t) = Batch(2, 10);
        var partials = new VocabularyPartial[2];
        CrossEntropySlices.Forward<float>(x, t, partials, 10, 0, 10);
        foreach (double c in new[] { 0, -1, double.NaN })
        {
            Assert.Equal("softCap", Assert.Throws<ArgumentOutOfRangeException>(() => CrossEntropySlices.Forward<float>(x, t, partials, 10, 0, 10, softCap: c)).ParamName);
            Assert.Equal("softCap", Assert.Throws<ArgumentOutOfRangeException>(() => TokenLogProbabilities.Forward<float>(x, t, new float[2], 10, softCap: c)).ParamName);
        }
        foreach (double lambda in new[] { -1e-4, double.NaN, double.PositiveInfinity })
        {
            Assert.Equal("zLoss", Assert.Throws<ArgumentOutOfRangeException>(() => CrossEntropySlices.Loss<float>(partials, 10, zLoss: lambda)).ParamName);
            Assert.Equal("zLoss", Assert.Throws<ArgumentOutOfRangeException>(() => CrossEntropySlices.Backward<float>(x, partials, new float[20], 10, 0, 10, zLoss: lambda)).ParamName);
        }
        Assert.Equal("labelSmoothing", Assert.Throws<ArgumentOutOfRangeException>(() => CrossEntropySlices.Loss<float>(partials, 10, labelSmoothing: 1.5)).ParamName);
    }

    [Fact]
    public void Soft_cap_keeps_masked_logits_masked()
    {
        float[] x = [2f, float.NegativeInfinity, 0.5f, -1f];
        var partials = new VocabularyPartial[1];
        CrossEntropySlices.Forward<float>(x, [0], partials, 4, 0, 4, softCap: 1);
        var g = new float[4];
        CrossEntropySlices.Backward<float>(x, partials, g, 4, 0, 4, softCap: 1);
        Assert.Equal(0f, g[1]);
        double expected = -Math.Tanh(2) + Math.Log(Math.Exp(Math.Tanh(2)) + Math.Exp(Math.Tanh(0.5)) + Math.Exp(Math.Tanh(-1)));
        Assert.Equal(expected, CrossEntropySlices.Loss<float>(partials, 4), 5);
    }

    [Fact]
    public void Gradients_equal_finite_differences()
    {
        int rows = 3, classes = 7;
        var random = new Random(5);
        double[] x = [.. Enumerable.Range(0, rows * classes).Select(_ => (random.NextDouble() * 8) - 4)];
        int[] t = [2, -100, 6];
        double[] w = [.. Enumerable.Range(0, classes).Select(_ => 0.5 + random.NextDouble())];
        double Loss(double[] v)
        {
            var p = new VocabularyPartial[rows];
            CrossEntropySlices.Forward<double>(v, t, p, classes, 0, classes, weight: w, softCap: 3);
            return CrossEntropySlices.Loss<double>(p, classes, labelSmoothing: 0.2, zLoss: 0.05);
        }
        var partials = new VocabularyPartial[rows];
        CrossEntropySlices.Forward<double>(x, t, partials, classes, 0, classes, weight: w, softCap: 3);
        var g = new double[x.Length];
        CrossEntropySlices.Backward<double>(x, partials, g, classes, 0, classes, weight: w, labelSmoothing: 0.2, zLoss: 0.05, softCap: 3);
        double[] alpha = [0.7, 0, -1.3], beta = [0.4, 0, 2.0];
        double Token(double[] v)
        {
            var lp = new double[rows];
            var h = new double[rows];
            TokenLogProbabilities.Forward<double>(v, t, lp, classes, h, softCap: 3);
            return Enumerable.Range(0, rows).Sum(r => (alpha[r] * lp[r]) + (beta[r] * h[r]));
        }
        var tg = new double[x.Length];
        TokenLogProbabilities.Backward<double>(x, t, alpha, beta, tg, classes, softCap: 3);
        for (int i = 0; i < x.Length; i++)
        {
            double[] plus = [.. x], minus = [.. x];
            plus[i] += 1e-6;
            minus[i] -= 1e-6;
            Approx.Equal((Loss(plus) - Loss(minus)) / 2e-6, g[i], 1e-6, 1e-8, $"cross-entropy gradient[{i}]");
            Approx.Equal((Token(plus) - Token(minus)) / 2e-6, tg[i], 1e-6, 1e-8, $"token gradient[{i}]");
        }
    }

    [Fact]
    public void In_place_gradient_equals_separate()
    {
        var (x, t) = Batch(4, 300);
        var partials = new VocabularyPartial[4];
        CrossEntropySlices.Forward<float>(x, t, partials, 300, 0, 300, softCap: 30);
        var g = new float[x.Length];
        CrossEntropySlices.Backward<float>(x, partials, g, 300, 0, 300, zLoss: 1e-4, softCap: 30);
        CrossEntropySlices.Backward<float>(x, partials, x, 300, 0, 300, zLoss: 1e-4, softCap: 30);
        Assert.Equal(g, x);
        Assert.Throws<ArgumentException>(() => CrossEntropySlices.Backward<float>(x, partials, x.AsSpan(1, 1199), 300, 0, 300, zLoss: 1e-4));
    }

    [Fact]
    public void No_allocation()
    {
        var (x, t) = Batch(8, 1000);
        var partials = new VocabularyPartial[8];
        var g = new float[x.Length];
        var lp = new float[8];
        var h = new float[8];
        Half[] xh = [.. x.Select(v => (Half)v)];
        long[] tl = [.. t.Select(v => (long)v)];
        long bytes = Allocations.Of(() =>
        {
            CrossEntropySlices.Forward<float>(x, t, partials, 1000, 0, 1000, softCap: 30);
            CrossEntropySlices.Loss<float>(partials, 1000, zLoss: 1e-4);
            CrossEntropySlices.Backward<float>(x, partials, g, 1000, 0, 1000, zLoss: 1e-4, softCap: 30);
            TokenLogProbabilities.Forward<float>(x, t, lp, 1000, h);
            TokenLogProbabilities.Backward<float>(x, t, lp, h, g, 1000);
            TokenLogProbabilities.Backward(xh, tl, lp, h, g, 1000);
        });
        Assert.Equal(0, bytes);
    }

    [Fact]
    public void Kernel_tanh_is_within_a_few_ulp()
    {
        for (double y = -20; y <= 20; y += 0.00137)
        {
            float f = TanhCap<Scalar<float>, float, float>.Tanh((float)y);
            Assert.True(Approx.Ulps(f, MathF.Tanh((float)y)) <= 3, $"float tanh({(float)y}) = {f}, expected {MathF.Tanh((float)y)}");
            double d = TanhCap<Scalar<double>, double, double>.Tanh(y);
            Assert.True(Approx.Ulps(d, Math.Tanh(y)) <= 3, $"double tanh({y}) = {d}, expected {Math.Tanh(y)}");
        }
        Assert.True(float.IsNaN(TanhCap<Scalar<float>, float, float>.Tanh(float.NaN)));
        Assert.Equal(1f, TanhCap<Scalar<float>, float, float>.Tanh(float.PositiveInfinity));
        Assert.Equal(-1.0, TanhCap<Scalar<double>, double, double>.Tanh(double.NegativeInfinity));
    }

    [Fact]
    public void Every_half_and_bfloat16_widens_exactly_and_half_narrows_to_nearest_even()
    {
        var halves = new Half[65536];
        var bf = new BFloat16[65536];
        for (int i = 0; i < 65536; i++)
        {
            halves[i] = BitConverter.UInt16BitsToHalf((ushort)i);
            bf[i] = BFloat16.FromBits((ushort)i);
        }
        var widened = new float[65536];
        var widenedBf = new float[65536];
        Widen(halves, widened);
        Widen(bf, widenedBf);
        for (int i = 0; i < 65536; i++)
        {
            float expected = (float)halves[i];
            Assert.True(float.IsNaN(expected) ? float.IsNaN(widened[i]) : BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(widened[i]), $"half bits {i:X4}");
            Assert.Equal(BitConverter.SingleToInt32Bits((float)bf[i]), BitConverter.SingleToInt32Bits(widenedBf[i]));
        }
        var random = new Random(3);
        float[] values = [.. Enumerable.Range(0, 200_000).Select(i => i < 65536 ? BitConverter.Int32BitsToSingle(i * 65536 + random.Next(65536))
            : (float)((random.NextDouble() - 0.5) * Math.Pow(2, random.Next(-30, 20))))];
        var narrowed = new Half[values.Length];
        Narrow(values, narrowed);
        for (int i = 0; i < values.Length; i++)
        {
            Half expected = (Half)values[i];
            Assert.True(expected.Equals(narrowed[i]) || (Half.IsNaN(expected) && Half.IsNaN(narrowed[i])), $"(Half){values[i]:R}: {narrowed[i]}, expected {expected}");
        }
    }

    private static void Widen<TIn>(TIn[] source, float[] destination)
        where TIn : unmanaged
    {
        int i = 0;
        for (; i + 16 <= source.Length; i += 16)
        {
            System.Runtime.Intrinsics.Vector512.StoreUnsafe(Elements<V512<float>, System.Runtime.Intrinsics.Vector512<float>, float>.Load(in source[0], (nuint)i), ref destination[0], (nuint)i);
        }
        for (i = 0; i < source.Length; i++)
        {
            // The scalar path must agree with the vector one.
            Assert.Equal(BitConverter.SingleToInt32Bits(destination[i]), BitConverter.SingleToInt32Bits(Elements<Scalar<float>, float, float>.LoadOne(in source[0], (nuint)i)));
        }
    }

    private static void Narrow(float[] source, Half[] destination)
    {
        for (int i = 0; i + 8 <= source.Length; i += 8)
        {
            Elements<V256<float>, System.Runtime.Intrinsics.Vector256<float>, float>.Store(System.Runtime.Intrinsics.Vector256.LoadUnsafe(ref source[0], (nuint)i), ref destination[0], (nuint)i);
        }
        var scalar = new Half[source.Length];
        for (int i = 0; i < source.Length; i++)
        {
            Elements<Scalar<float>, float, float>.Store(source[i], ref scalar[0], (nuint)i);
        }
        Assert.Equal(destination, scalar);
    }

    [Fact]
    public void Float_narrows_to_bfloat16_to_nearest_even_as_the_cast_at_every_width()
    {
        // Every bfloat16 value, and around it the float patterns that decide the rounding: just above, just below the
        // tie, the tie, just past it, the top of the interval (subnormals, the largest finite, ±∞ and NaNs included).
        var random = new Random(5);
        var values = new List<float>();
        foreach (uint high in Enumerable.Range(0, 65536).Select(i => (uint)i))
        {
            foreach (uint low in (uint[])[0, 1, 0x7FFF, 0x8000, 0x8001, 0xFFFF, (uint)random.Next(65536)])
            {
                values.Add(BitConverter.UInt32BitsToSingle((high << 16) | low));
            }
        }
        values.AddRange(Enumerable.Range(0, 7).Select(_ => 0f)); // a whole number of Vector512s
        float[] source = [.. values.Take(values.Count / 16 * 16)];
        BFloat16[] expected = [.. source.Select(v => (BFloat16)v)];
        AssertBFloat16(expected, NarrowWith<V512<float>, System.Runtime.Intrinsics.Vector512<float>>(source), "Vector512");
        AssertBFloat16(expected, NarrowWith<V256<float>, System.Runtime.Intrinsics.Vector256<float>>(source), "Vector256");
        AssertBFloat16(expected, NarrowWith<V128<float>, System.Runtime.Intrinsics.Vector128<float>>(source), "Vector128");
        AssertBFloat16(expected, NarrowWith<Scalar<float>, float>(source), "scalar");
    }

    [Fact]
    public void Bfloat16_gradients_are_the_float_gradients_rounded()
    {
        var (x, t) = Batch(6, 1000, seed: 9);
        BFloat16[] xb = [.. x.Select(v => (BFloat16)v)];
        long[] tl = [.. t.Select(v => (long)v)];
        var partials = new VocabularyPartial[6];
        CrossEntropySlices.Forward(xb, tl, partials, 1000, 0, 1000, softCap: 30);
        var expected = new float[x.Length];
        var actual = new BFloat16[x.Length];
        CrossEntropySlices.Backward(xb, partials, expected, 1000, 0, 1000, zLoss: 1e-4, softCap: 30);
        CrossEntropySlices.Backward(xb, partials, actual, 1000, 0, 1000, zLoss: 1e-4, softCap: 30);
        AssertRounded(expected, actual, "slice gradient");

        float[] alpha = [1, -0.5f, 0, 2, 0.25f, -1];
        float[] beta = [0.1f, 0, -0.2f, 0.3f, 0, 1];
        TokenLogProbabilities.Backward(xb, tl, alpha, beta, expected, 1000);
        TokenLogProbabilities.Backward(xb, tl, alpha, beta, actual, 1000);
        AssertRounded(expected, actual, "token gradient");
    }

    /// <summary>Each bfloat16 element is the float gradient rounded, except at the target, where the Half/bfloat16 paths add
    /// the target's term to the already rounded value (a second rounding): within one bfloat16 ulp there.</summary>
    private static void AssertRounded(float[] expected, BFloat16[] actual, string what)
    {
        int roundedTwice = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            BFloat16 once = (BFloat16)expected[i];
            if (once.Equals(actual[i]))
            {
                continue;
            }
            roundedTwice++;
            Assert.True(Math.Abs((float)actual[i] - expected[i]) <= Math.Abs(expected[i]) / 128, $"{what} [{i}]: {actual[i]} vs {expected[i]:R}");
        }
        Assert.True(roundedTwice <= 6, $"{what}: {roundedTwice} elements differ from the rounded float gradient");
    }

    private static BFloat16[] NarrowWith<TOps, TV>(float[] source)
        where TOps : ISimd<TV, float>
        where TV : struct
    {
        var destination = new BFloat16[source.Length];
        for (int i = 0; i + TOps.Count <= source.Length; i += TOps.Count)
        {
            Elements<TOps, TV, float>.Store(TOps.Load(in source[0], (nuint)i), ref destination[0], (nuint)i);
        }
        return destination;
    }

    private static void AssertBFloat16(BFloat16[] expected, BFloat16[] actual, string width)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(expected[i].Equals(actual[i]), $"{width}: (BFloat16) of 0x{i:X}th value: 0x{actual[i].Bits:X4}, expected 0x{expected[i].Bits:X4}");
        }
    }

    [Fact]
    public void Outputs_over_16_bit_logits_follow_the_overlap_rule_and_name_the_output()
    {
        // One buffer seen as 2 rows × 4 Half logits (its first 4 floats) and as float outputs.
        var buffer = new float[16];
        Span<Half> logits = System.Runtime.InteropServices.MemoryMarshal.Cast<float, Half>(buffer.AsSpan(0, 4));
        logits.Fill((Half)1f);
        long[] targets = [0, 1];
        var losses = Assert.Throws<ArgumentException>(() =>
            CrossEntropy.Forward((ReadOnlySpan<Half>)System.Runtime.InteropServices.MemoryMarshal.Cast<float, Half>(buffer.AsSpan(0, 4)), targets, 4,
                reduction: Reduction.None, losses: buffer.AsSpan(0, 2)));
        Assert.Equal("losses", losses.ParamName);
        var gradient = Assert.Throws<ArgumentException>(() =>
            CrossEntropy.Forward((ReadOnlySpan<Half>)System.Runtime.InteropServices.MemoryMarshal.Cast<float, Half>(buffer.AsSpan(0, 4)), targets, 4,
                gradient: buffer.AsSpan(0, 8)));
        Assert.Equal("gradient", gradient.ParamName);
        var destination = Assert.Throws<ArgumentException>(() =>
            Softmax.Forward((ReadOnlySpan<Half>)System.Runtime.InteropServices.MemoryMarshal.Cast<float, Half>(buffer.AsSpan(0, 4)), buffer.AsSpan(2, 8), 4));
        Assert.Equal("destination", destination.ParamName);
        Assert.All(buffer.AsSpan(4).ToArray(), v => Assert.Equal(0f, v)); // nothing written
    }
}
