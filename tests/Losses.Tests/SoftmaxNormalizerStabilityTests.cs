using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Losses.Tests;

/// <summary>SoftmaxNormalizer agrees with LogSumExp.Forward in every NaN/±∞ combination, for one span and for shards combined.</summary>
public class SoftmaxNormalizerStabilityTests
{
    private static readonly float[] Specials = [float.NaN, float.PositiveInfinity, float.NegativeInfinity, 0f, 2f, -3f, 1e30f, -1e30f, float.MaxValue, float.Epsilon];

    [Fact]
    public void A_nan_shard_is_not_dropped_by_combine()
    {
        var combined = SoftmaxNormalizer.Combine(SoftmaxNormalizer.Combine(SoftmaxNormalizer.Empty<float>(), SoftmaxNormalizer.Of<float>([float.NaN])),
            SoftmaxNormalizer.Of<float>([2f, 3f]));
        Assert.True(float.IsNaN(combined.LogSumExp));
        Assert.True(float.IsNaN(SoftmaxNormalizer.Of<float>([1f, float.PositiveInfinity, float.NaN, 2f]).LogSumExp));
        Assert.True(double.IsNaN(SoftmaxNormalizer.Of<double>([double.NaN]).LogSumExp));
        Assert.True(float.IsNaN(SoftmaxNormalizer.Of<float>([float.NaN, float.NegativeInfinity]).LogSumExp));
        Assert.Equal(float.PositiveInfinity, SoftmaxNormalizer.Of<float>([1f, float.PositiveInfinity, 2f]).LogSumExp);
    }

    public static Arbitrary<(float[] Values, int Split)> Rows() =>
        (from length in Gen.Choose(0, 40)
         from values in Gen.ArrayOf(Gen.Elements(Specials), length)
         from split in Gen.Choose(0, length)
         select (values, split)).ToArbitrary();

    [Property(Arbitrary = [typeof(SoftmaxNormalizerStabilityTests)], MaxTest = 500)]
    public void Of_and_combine_agree_with_log_sum_exp_in_every_special_combination((float[] Values, int Split) row)
    {
        float[] x = row.Values;
        float expected = x.Length == 0 ? float.NegativeInfinity : LogSumExp.Forward<float>(x);
        float whole = SoftmaxNormalizer.Of<float>(x).LogSumExp;
        float parts = SoftmaxNormalizer.Combine(SoftmaxNormalizer.Of<float>(x.AsSpan(0, row.Split)), SoftmaxNormalizer.Of<float>(x.AsSpan(row.Split))).LogSumExp;
        Same(expected, whole);
        Same(expected, parts);
        double[] xd = [.. x.Select(v => (double)v)];
        Same(x.Length == 0 ? double.NegativeInfinity : LogSumExp.Forward<double>(xd), SoftmaxNormalizer.Combine(
            SoftmaxNormalizer.Of<double>(xd.AsSpan(0, row.Split)), SoftmaxNormalizer.Of<double>(xd.AsSpan(row.Split))).LogSumExp);
    }

    private static void Same(double expected, double actual)
    {
        if (double.IsNaN(expected) || double.IsInfinity(expected))
        {
            Assert.Equal(expected, actual);
        }
        else
        {
            Assert.Equal(expected, actual, Math.Abs(expected) * 1e-6);
        }
    }
}
