using System.Numerics;
using Xunit.Sdk;

namespace Losses.Tests.Support;

/// <summary>Comparisons with a stated tolerance; NaN equals NaN and infinities must match exactly.</summary>
public static class Approx
{
    /// <summary>|actual − expected| ≤ absolute + relative·|expected| for every element, with a message naming the index.</summary>
    public static void Equal<T>(ReadOnlySpan<T> expected, ReadOnlySpan<T> actual, double relative, double absolute = 0, string what = "")
        where T : IFloatingPointIeee754<T>
    {
        if (expected.Length != actual.Length)
        {
            throw new XunitException($"{what}: length {actual.Length}, expected {expected.Length}");
        }
        for (int i = 0; i < expected.Length; i++)
        {
            Equal(double.CreateTruncating(expected[i]), double.CreateTruncating(actual[i]), relative, absolute, $"{what}[{i}]");
        }
    }

    public static void Equal(double expected, double actual, double relative, double absolute = 0, string what = "")
    {
        bool ok = double.IsNaN(expected) ? double.IsNaN(actual)
            : double.IsInfinity(expected) ? expected == actual
            : Math.Abs(actual - expected) <= absolute + relative * Math.Abs(expected);
        if (!ok)
        {
            throw new XunitException($"{what}: expected {expected:R}, actual {actual:R} (relative tolerance {relative:G3}, absolute {absolute:G3})");
        }
    }

    /// <summary>Distance in units in the last place between two floats (0 when equal, both NaN, or ±0).</summary>
    public static long Ulps(float a, float b)
    {
        if (float.IsNaN(a) || float.IsNaN(b))
        {
            return float.IsNaN(a) && float.IsNaN(b) ? 0 : long.MaxValue;
        }
        return Math.Abs(Ordered(BitConverter.SingleToInt32Bits(a)) - Ordered(BitConverter.SingleToInt32Bits(b)));
        static long Ordered(int bits) => bits < 0 ? int.MinValue - (long)bits : bits;
    }

    /// <summary>Distance in units in the last place between two doubles.</summary>
    public static double Ulps(double a, double b)
    {
        if (double.IsNaN(a) || double.IsNaN(b))
        {
            return double.IsNaN(a) && double.IsNaN(b) ? 0 : double.PositiveInfinity;
        }
        return (double)Int128.Abs(Ordered(BitConverter.DoubleToInt64Bits(a)) - Ordered(BitConverter.DoubleToInt64Bits(b)));
        static Int128 Ordered(long bits) => bits < 0 ? (Int128)long.MinValue - bits : bits;
    }
}
