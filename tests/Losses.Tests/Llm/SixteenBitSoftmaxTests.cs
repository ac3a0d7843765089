using System.Runtime.InteropServices;

namespace Losses.Tests;

/// <summary>Softmax and log-sum-exp of Half and bfloat16 logits: the float overloads on the widened values, edge rows, overlap.</summary>
public class SixteenBitSoftmaxTests
{
    private static float[] Logits(int rows, int classes)
    {
        var random = new Random(rows * 31 + classes);
        return [.. Enumerable.Range(0, rows * classes).Select(_ => (float)((random.NextDouble() * 40) - 20))];
    }

    [Theory]
    [InlineData(3, 7)]
    [InlineData(5, 33)]
    [InlineData(4, 1000)]
    [InlineData(2, 40000)]
    public void Equal_the_float_overloads_on_the_widened_values(int rows, int classes)
    {
        float[] x = Logits(rows, classes);
        Half[] half = [.. x.Select(v => (Half)v)];
        BFloat16[] bf16 = [.. x.Select(v => (BFloat16)v)];
        Check(half.Select(v => (float)v).ToArray(), y => Softmax.Forward(half, y, classes), l => LogSumExp.Forward(half, l, classes), rows, classes);
        Check(bf16.Select(v => (float)v).ToArray(), y => Softmax.Forward(bf16, y, classes), l => LogSumExp.Forward(bf16, l, classes), rows, classes);
    }

    private static void Check(float[] widened, Action<float[]> softmax, Action<float[]> logSumExp, int rows, int classes)
    {
        var expected = new float[widened.Length];
        var actual = new float[widened.Length];
        Softmax.Forward<float>(widened, expected, classes);
        softmax(actual);
        Approx.Equal<float>(expected, actual, 1e-5, 1e-30, "softmax");
        var expectedLse = new float[rows];
        var actualLse = new float[rows];
        LogSumExp.Forward<float>(widened, expectedLse, classes);
        logSumExp(actualLse);
        Approx.Equal<float>(expectedLse, actualLse, 1e-6, 1e-6, "log-sum-exp");
    }

    [Fact]
    public void Edge_rows_as_the_float_overloads()
    {
        Half[] x =
        [
            Half.NegativeInfinity, Half.NegativeInfinity, Half.NegativeInfinity, // all masked
            (Half)1f, Half.PositiveInfinity, (Half)2f,                           // +∞
            (Half)1f, Half.NaN, (Half)2f,                                        // NaN
            Half.NegativeInfinity, (Half)0f, (Half)0f,                           // one masked
        ];
        var lse = new float[4];
        LogSumExp.Forward(x, lse, 3);
        Assert.Equal(float.NegativeInfinity, lse[0]);
        Assert.Equal(float.PositiveInfinity, lse[1]);
        Assert.True(float.IsNaN(lse[2]));
        Assert.Equal(MathF.Log(2), lse[3], 6);
        var y = new float[12];
        Softmax.Forward(x, y, 3);
        Assert.All(y[..9], v => Assert.True(float.IsNaN(v)));
        Assert.Equal([0f, 0.5f, 0.5f], y[9..]);
    }

    [Fact]
    public void Destination_over_the_logits_is_rejected_before_writing()
    {
        var memory = new float[8];
        Span<Half> logits = MemoryMarshal.Cast<float, Half>(memory.AsSpan(0, 4));
        logits.Fill((Half)1f);
        var e = Assert.Throws<ArgumentException>(() => Softmax.Forward(MemoryMarshal.Cast<float, Half>(memory.AsSpan(0, 4)), memory.AsSpan(2, 6), 4));
        Assert.Equal("destination", e.ParamName);
        Assert.All(memory[4..], v => Assert.Equal(0f, v));
        Assert.Throws<ArgumentOutOfRangeException>(() => LogSumExp.Forward(new Half[4], new float[1], 0));
        Assert.Throws<ArgumentException>(() => LogSumExp.Forward(new Half[4], new float[1], 2));
    }
}
