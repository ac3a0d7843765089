using System.Numerics;
using FsCheck.Xunit;
using Losses.Kernels;

namespace Losses.Tests.Kernels;

/// <summary>
/// The best-threshold search's radix sort against a stable comparison sort of the same (key, payload) pairs: same keys
/// (−0 read as +0), and equal keys keep their input order. Special values, duplicates and both element types.
/// </summary>
public class RadixSortTests
{
    private static readonly double[] Specials =
        [0.0, -0.0, double.Epsilon, -double.Epsilon, double.MaxValue, double.MinValue, double.PositiveInfinity,
         double.NegativeInfinity, 1.0, -1.0, 2.2250738585072014E-308, -2.2250738585072014E-308, 1e-320, -1e-320];

    private static (T Key, int Payload)[] StableReference<T>(T[] keys)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        [.. keys.Select((k, i) => (Key: k == T.Zero ? T.Zero : k, Payload: i)).OrderBy(p => p.Key)]; // OrderBy is stable

    private static void Check<T>(T[] input)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var keys = (T[])input.Clone();
        int[] payload = [.. Enumerable.Range(0, input.Length)];
        RadixSort.Sort<T, int>(keys, payload);
        var expected = StableReference(input);
        for (int i = 0; i < input.Length; i++)
        {
            Assert.True(expected[i].Key.Equals(keys[i]) && !T.IsNegative(keys[i]) == !T.IsNegative(expected[i].Key),
                $"position {i}: key {keys[i]}, expected {expected[i].Key}");
            Assert.Equal(expected[i].Payload, payload[i]);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(255)]
    [InlineData(256)]
    [InlineData(1000)]
    [InlineData(100_000)]
    public void Doubles_with_special_values_and_ties_sort_stably(int n)
    {
        var random = new Random(n);
        double[] keys = [.. Enumerable.Range(0, n).Select(i => (i % 3) switch
        {
            0 => Specials[random.Next(Specials.Length)],
            1 => Math.Round((random.NextDouble() - 0.5) * 20, 1), // many ties
            _ => (random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-300, 300)),
        })];
        Check(keys);
        Check<float>([.. keys.Select(k => (float)k)]);
    }

    [Fact]
    public void Keys_that_share_high_bytes_skip_passes_and_still_sort()
    {
        // Every key in [1, 2): the sign/exponent bytes never change, so those passes are skipped.
        var random = new Random(3);
        Check<double>([.. Enumerable.Range(0, 5000).Select(_ => 1 + random.NextDouble())]);
        Check<float>([.. Enumerable.Range(0, 5000).Select(_ => 1 + random.NextSingle())]);
        Check<double>([.. Enumerable.Repeat(-0.0, 300).Concat(Enumerable.Repeat(0.0, 300))]);
    }

    [Property(MaxTest = 200)]
    public void Any_finite_or_infinite_doubles_sort_like_a_stable_comparison_sort(double[] keys) =>
        Check<double>([.. keys.Where(k => !double.IsNaN(k)).SelectMany(k => Enumerable.Repeat(k, 1 + (int)(Math.Abs(k) % 3)))
            .Concat(Enumerable.Range(0, 260).Select(i => (double)(i % 7)))]);

    [Fact]
    public void Sorting_allocates_nothing_once_the_pool_holds_the_buffers()
    {
        var random = new Random(9);
        double[] source = [.. Enumerable.Range(0, 50_000).Select(_ => random.NextDouble())];
        var keys = new double[source.Length];
        var payload = new int[source.Length];
        Assert.Equal(0, Allocations.Of(() =>
        {
            source.CopyTo(keys, 0);
            RadixSort.Sort<double, int>(keys, payload);
        }));
    }
}
