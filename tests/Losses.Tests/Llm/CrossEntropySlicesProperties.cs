using System.Numerics;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using CeBatch = Losses.Tests.CrossEntropyProperties.Batch;

namespace Losses.Tests;

/// <summary>Any slicing of the vocabulary, combined in any order, gives the one-shot cross-entropy and gradient (FsCheck).</summary>
public class CrossEntropySlicesProperties
{
    /// <summary>A batch, a slicing of its columns (cut points) and an order in which to combine the slices.</summary>
    public sealed record Sliced(CeBatch Batch, int[] Cuts, int[] Order, Reduction Reduction)
    {
        public override string ToString() => $"{Batch} cuts=[{string.Join(",", Cuts)}] order=[{string.Join(",", Order)}] {Reduction}";
    }

    public static Arbitrary<Sliced> Slicings() =>
        (from batch in CrossEntropyProperties.Batches().Generator
         from kind in Gen.Elements("one", "two", "uneven", "columns")
         from seed in Gen.Choose(0, int.MaxValue)
         from reduction in Gen.Elements(Reduction.Mean, Reduction.Sum, Reduction.None)
         select Make(batch, kind, seed, reduction)).ToArbitrary();

    private static Sliced Make(CeBatch batch, string kind, int seed, Reduction reduction)
    {
        var random = new Random(seed);
        int c = batch.Classes;
        int[] cuts = kind switch
        {
            "one" => [0, c],
            "two" => [0, c / 2, c],
            "columns" => [.. Enumerable.Range(0, c + 1)],
            _ => [.. new[] { 0, c }.Concat(Enumerable.Range(0, 4).Select(_ => random.Next(1, Math.Max(c, 2)))).Where(v => v <= c).Distinct().Order()],
        };
        cuts = [.. cuts.Distinct()];
        int slices = cuts.Length - 1;
        int[] order = [.. Enumerable.Range(0, slices).OrderBy(_ => random.Next())];
        return new Sliced(batch, cuts, order, reduction);
    }

    /// <summary>Loss and gradient through slices; the partials of each slice are combined in the given order.</summary>
    internal static (T Loss, T[] Gradient, T[] Losses) BySlices<T>(CeBatch b, int[] cuts, int[] order, Reduction reduction, double zLoss = 0, double softCap = double.PositiveInfinity)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int c = b.Classes, rows = b.Rows;
        T[] x = [.. b.Logits.Select(T.CreateTruncating)];
        T[] w = [.. b.Weight.Select(T.CreateTruncating)];
        var combined = new VocabularyPartial[rows];
        var partial = new VocabularyPartial[rows];
        foreach (int s in order)
        {
            int offset = cuts[s], width = cuts[s + 1] - cuts[s];
            CrossEntropySlices.Forward<T>(x.AsSpan(offset), b.Targets, partial, c, offset, width, stride: c, weight: w, softCap: softCap);
            CrossEntropySlices.Combine(partial, combined);
        }
        var losses = new T[rows];
        T loss = CrossEntropySlices.Loss<T>(combined, c, reduction, losses, b.Smoothing, zLoss);
        var gradient = new T[x.Length];
        for (int s = 0; s < cuts.Length - 1; s++)
        {
            int offset = cuts[s], width = cuts[s + 1] - cuts[s];
            CrossEntropySlices.Backward<T>(x.AsSpan(offset), combined, gradient.AsSpan(offset), c, offset, width, stride: c,
                reduction: reduction, weight: w, labelSmoothing: b.Smoothing, zLoss: zLoss, softCap: softCap);
        }
        return (loss, gradient, losses);
    }

    private static bool SameAsOneShot<T>(Sliced s, double relative, double absolute)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var b = s.Batch;
        T[] x = [.. b.Logits.Select(T.CreateTruncating)];
        T[] w = [.. b.Weight.Select(T.CreateTruncating)];
        var expectedGradient = new T[x.Length];
        var expectedLosses = new T[b.Rows];
        T expected = CrossEntropy.Forward<T>(x, b.Targets, b.Classes, expectedGradient, s.Reduction, expectedLosses, w, -100, b.Smoothing);
        var (loss, gradient, losses) = BySlices<T>(b, s.Cuts, s.Order, s.Reduction);
        Support.Approx.Equal(double.CreateTruncating(expected), double.CreateTruncating(loss), relative, absolute, "loss");
        Support.Approx.Equal<T>(expectedGradient, gradient, relative * 10, absolute, "gradient");
        if (s.Reduction == Reduction.None)
        {
            Support.Approx.Equal<T>(expectedLosses, losses, relative, absolute, "losses");
        }
        return true;
    }

    [Property(Arbitrary = [typeof(CrossEntropySlicesProperties)], MaxTest = 150)]
    public bool Any_slicing_equals_one_shot_float(Sliced s) => SameAsOneShot<float>(s, 4e-6, 2e-6);

    [Property(Arbitrary = [typeof(CrossEntropySlicesProperties)], MaxTest = 150)]
    public bool Any_slicing_equals_one_shot_double(Sliced s) => SameAsOneShot<double>(s, 1e-13, 1e-14);

    [Property(Arbitrary = [typeof(CrossEntropySlicesProperties)], MaxTest = 60)]
    public bool Slice_order_does_not_matter(Sliced s)
    {
        int slices = s.Cuts.Length - 1;
        var (forward, g1, _) = BySlices<double>(s.Batch, s.Cuts, [.. Enumerable.Range(0, slices)], s.Reduction, zLoss: 1e-3);
        var (shuffled, g2, _) = BySlices<double>(s.Batch, s.Cuts, s.Order, s.Reduction, zLoss: 1e-3);
        Support.Approx.Equal(forward, shuffled, 1e-13, 1e-14, "loss");
        Support.Approx.Equal<double>(g1, g2, 1e-12, 1e-14, "gradient");
        return true;
    }

    [Property(Arbitrary = [typeof(CrossEntropySlicesProperties)], MaxTest = 60)]
    public bool Zero_z_loss_and_infinite_cap_are_the_plain_loss(Sliced s)
    {
        var (plain, g1, _) = BySlices<double>(s.Batch, s.Cuts, s.Order, s.Reduction);
        var (explicitOff, g2, _) = BySlices<double>(s.Batch, s.Cuts, s.Order, s.Reduction, zLoss: 0, softCap: double.PositiveInfinity);
        return plain.Equals(explicitOff) && g1.AsSpan().SequenceEqual(g2);
    }

    [Property(Arbitrary = [typeof(CrossEntropySlicesProperties)], MaxTest = 100)]
    public bool One_shot_with_z_loss_and_cap_equals_slices(Sliced s)
    {
        var b = s.Batch;
        foreach (double softCap in new[] { double.PositiveInfinity, 7.0 })
        {
            float[] x = [.. b.Logits.Select(v => (float)v)];
            float[] w = [.. b.Weight.Select(v => (float)v)];
            var gradient = new float[x.Length];
            var losses = new float[b.Rows];
            float loss = CrossEntropy.Forward<float>(x, b.Targets, b.Classes, gradient, s.Reduction, losses, w, -100, (float)b.Smoothing, zLoss: 1e-3, softCap: softCap);
            var (expected, expectedGradient, expectedLosses) = BySlices<float>(b, s.Cuts, s.Order, s.Reduction, zLoss: 1e-3, softCap: softCap);
            Support.Approx.Equal(expected, loss, 4e-6, 2e-6, $"loss (cap {softCap})");
            Support.Approx.Equal<float>(expectedGradient, gradient, 4e-5, 2e-6, $"gradient (cap {softCap})");
            long[] targets = [.. b.Targets.Select(t => (long)t)];
            float viaLong = CrossEntropy.Forward<float>(x, targets, b.Classes, gradient, s.Reduction, losses, w, -100, b.Smoothing, zLoss: 1e-3, softCap: softCap);
            Support.Approx.Equal(expected, viaLong, 4e-6, 2e-6, $"long targets loss (cap {softCap})");
            if (s.Reduction == Reduction.None)
            {
                Support.Approx.Equal<float>(expectedLosses, losses, 4e-6, 2e-6, "losses");
            }
        }
        return true;
    }
}
