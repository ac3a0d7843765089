namespace Losses.Tests;

/// <summary>The exact superaccumulator behind the evaluation sums.</summary>
public class ExactSumTests
{
    private static ExactSum Of(params double[] values)
    {
        var sum = new ExactSum();
        sum.Add(values);
        return sum;
    }

    [Fact]
    public void CancellationAcrossTheWholeRangeIsExact()
    {
        Assert.Equal(1e-300, Of(1e308, 1e308, 1e-300, -1e308, -1e308).Value);
        Assert.Equal(double.Epsilon, Of(1, double.Epsilon, -1).Value);
        Assert.Equal(0.0, Of(0.1, -0.1).Value);
        Assert.Equal(double.MaxValue, Of(double.MaxValue, double.MaxValue, -double.MaxValue).Value);
        Assert.Equal(double.PositiveInfinity, Of(double.MaxValue, double.MaxValue).Value);
    }

    [Fact]
    public void RoundsOnceToNearestEven()
    {
        // 1 + 2^-53 is a tie: to even (1); 1 + 2^-53 + 2^-105 is above the tie: up.
        Assert.Equal(1.0, Of(1, Math.ScaleB(1, -53)).Value);
        Assert.Equal(1 + Math.ScaleB(1, -52), Of(1, Math.ScaleB(1, -53), Math.ScaleB(1, -105)).Value);
        Assert.Equal(1 + Math.ScaleB(1, -51), Of(1 + Math.ScaleB(1, -52), Math.ScaleB(1, -53)).Value);
        // Ten 0.1s: the exact sum of the doubles is 1 + 5.55e-17, nearest double 1.
        Assert.Equal(1.0, Of([.. Enumerable.Repeat(0.1, 10)]).Value);
    }

    [Fact]
    public void NonFiniteTermsFollowIeeeRulesInAnyOrder()
    {
        Assert.Equal(double.PositiveInfinity, Of(1, double.PositiveInfinity, -5).Value);
        Assert.True(double.IsNaN(Of(double.PositiveInfinity, double.NegativeInfinity).Value));
        Assert.True(double.IsNaN(Of(double.NaN, 1).Value));
        Assert.Equal("-Infinity", Of(double.NegativeInfinity, 3).ToString());
    }

    [Fact]
    public void AnyOrderAndGroupingGivesTheSameTextAndValue()
    {
        var random = new Random(3);
        double[] values = [.. Enumerable.Range(0, 2000).Select(_ => Math.ScaleB(random.NextDouble() - 0.5, random.Next(-1074, 1000)))];
        var forward = Of(values);
        var backward = Of([.. values.Reverse()]);
        var grouped = Of(values[..700]);
        grouped.Add(Of(values[700..]));
        Assert.Equal(forward.ToString(), backward.ToString());
        Assert.Equal(forward.ToString(), grouped.ToString());
        Assert.Equal(forward.Value, grouped.Value);
        Assert.Equal(forward.ToString(), ExactSum.Parse(forward.ToString()).ToString());
    }

    [Fact]
    public void SpansAddAsValueByValue()
    {
        // Add(span) takes its own loop (two limb sets, no per-value checks) when every value is finite: it must agree
        // with value-by-value addition for subnormals, negatives, zeros of either sign and odd lengths, and fall back
        // for spans holding ±∞ or NaN.
        var random = new Random(11);
        double[] values = [.. Enumerable.Range(0, 1001).Select(i => i % 97 == 0 ? -0.0 : Math.ScaleB(random.NextDouble() - 0.5, random.Next(-1080, 1020)))];
        var byValue = new ExactSum();
        foreach (double v in values)
        {
            byValue.Add(v);
        }
        var bySpans = new ExactSum();
        for (int start = 0, length = 0; start < values.Length; start += length, length = (length + 1) % 10)
        {
            bySpans.Add(values.AsSpan(start, Math.Min(length, values.Length - start)));
        }
        Assert.Equal(byValue.ToString(), bySpans.ToString());
        Assert.Equal(byValue.ToString(), Of(values).ToString());
        Assert.True(double.IsNaN(Of([.. values, double.NaN]).Value));
        Assert.Equal(double.NegativeInfinity, Of([1, .. values, double.NegativeInfinity]).Value);
    }

    [Fact]
    public void TextIsCanonical()
    {
        Assert.Equal("0", Of().ToString());
        Assert.Equal("3p-1", Of(1.5).ToString());
        Assert.Equal("-5", Of(-5).ToString());
        Assert.Equal("1p-1074", Of(double.Epsilon).ToString());
        Assert.Equal(-2.75, ExactSum.Parse("-11p-2").Value);
        Assert.Throws<FormatException>(() => ExactSum.Parse("1p5000"));
    }
}
