using System.Numerics;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using CeBatch = Losses.Tests.CrossEntropyProperties.Batch;

namespace Losses.Tests;

/// <summary>
/// <see cref="CrossEntropySlices.ForwardBackward{T}(ReadOnlySpan{ReadOnlyMemory{T}}, ReadOnlySpan{int}, ReadOnlySpan{Memory{T}}, Span{VocabularyPartial}, Reduction, Span{T}, ReadOnlySpan{T}, int, double, double, double, int)"/>:
/// the per-slice calls in sequence (storing Forward, Combine, Loss, stored Backward) for any slicing and option — bitwise with a
/// soft-cap or smoothing (the per-slice passes), within a few ulp otherwise (the one-max pass) — the one-shot
/// cross-entropy within a few ulp, the same bits for any thread count and in place, misuse refused before writing.
/// </summary>
public class SliceGroupTests
{
    private sealed record Options(Reduction Reduction = Reduction.Mean, bool Weighted = false, double Smoothing = 0, double Z = 0,
        double Cap = double.PositiveInfinity, int IgnoreIndex = -100);

    private static (T[] X, int[] Targets, T[] Weight) Batch<T>(int rows, int classes, int seed, bool masked = false)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(seed);
        T[] x = [.. Enumerable.Range(0, rows * classes).Select(i => masked && i % 7 == 2 ? T.NegativeInfinity : T.CreateTruncating((random.NextDouble() - 0.5) * 16))];
        int[] t = [.. Enumerable.Range(0, rows).Select(r => r % 5 == 3 ? -100 : random.Next(classes))];
        for (int r = 0; r < rows; r++)
        {
            if (t[r] >= 0)
            {
                x[(r * classes) + t[r]] = T.CreateTruncating(random.NextDouble()); // a finite target logit
            }
        }
        T[] w = [.. Enumerable.Range(0, classes).Select(_ => T.CreateTruncating(0.5 + random.NextDouble()))];
        return (x, t, w);
    }

    /// <summary>The columns of a [rows × classes] batch as separate [rows × width] buffers.</summary>
    private static T[][] Chunks<T>(T[] x, int rows, int classes, int[] widths)
    {
        var chunks = new T[widths.Length][];
        int offset = 0;
        for (int k = 0; k < widths.Length; k++)
        {
            chunks[k] = new T[rows * widths[k]];
            for (int r = 0; r < rows; r++)
            {
                x.AsSpan((r * classes) + offset, widths[k]).CopyTo(chunks[k].AsSpan(r * widths[k]));
            }
            offset += widths[k];
        }
        return chunks;
    }

    private static T[] Joined<T>(T[][] chunks, int rows, int[] widths)
    {
        int classes = widths.Sum();
        var x = new T[rows * classes];
        int offset = 0;
        for (int k = 0; k < widths.Length; k++)
        {
            for (int r = 0; r < rows; r++)
            {
                chunks[k].AsSpan(r * widths[k], widths[k]).CopyTo(x.AsSpan((r * classes) + offset));
            }
            offset += widths[k];
        }
        return x;
    }

    /// <summary>The per-slice calls in sequence, each slice in its own buffer.</summary>
    private static (T Loss, T[] Losses, VocabularyPartial[] Partials, T[][] Gradient) Sequence<T>(T[][] chunks, int[] targets, int[] widths, T[] weight, Options o)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int rows = targets.Length, classes = widths.Sum();
        ReadOnlySpan<T> w = o.Weighted ? weight : default;
        var own = widths.Select(_ => new VocabularyPartial[rows]).ToArray();
        var combined = new VocabularyPartial[rows];
        var gradient = chunks.Select(c => new T[c.Length]).ToArray();
        int offset = 0;
        for (int k = 0; k < widths.Length; k++)
        {
            CrossEntropySlices.Forward<T>(chunks[k], targets, own[k], gradient[k], classes, offset, widths[k], weight: w, ignoreIndex: o.IgnoreIndex,
                labelSmoothing: o.Smoothing, softCap: o.Cap);
            CrossEntropySlices.Combine(own[k], combined);
            offset += widths[k];
        }
        var losses = new T[rows];
        T loss = CrossEntropySlices.Loss<T>(combined, classes, o.Reduction, losses, o.Smoothing, o.Z);
        offset = 0;
        for (int k = 0; k < widths.Length; k++)
        {
            CrossEntropySlices.Backward<T>(chunks[k], own[k], combined, gradient[k], classes, offset, widths[k], reduction: o.Reduction, weight: w,
                labelSmoothing: o.Smoothing, zLoss: o.Z, softCap: o.Cap);
            offset += widths[k];
        }
        return (loss, losses, combined, gradient);
    }

    private static (T Loss, T[] Losses, VocabularyPartial[] Partials, T[][] Gradient) Group<T>(T[][] chunks, int[] targets, T[] weight, Options o,
        int threads = 1, bool inPlace = false)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int rows = targets.Length;
        var gradient = inPlace ? chunks.Select(c => (T[])c.Clone()).ToArray() : chunks.Select(c => new T[c.Length]).ToArray();
        ReadOnlyMemory<T>[] logits = [.. (inPlace ? gradient : chunks).Select(c => (ReadOnlyMemory<T>)c)];
        Memory<T>[] grads = [.. gradient.Select(g => (Memory<T>)g)];
        var partials = new VocabularyPartial[rows];
        var losses = new T[rows];
        T loss = CrossEntropySlices.ForwardBackward<T>(logits, targets, grads, partials, o.Reduction, losses, o.Weighted ? weight : default,
            o.IgnoreIndex, o.Smoothing, o.Z, o.Cap, threads);
        return (loss, losses, partials, gradient);
    }

    private static void SameBits<T>((T Loss, T[] Losses, VocabularyPartial[] Partials, T[][] Gradient) expected,
        (T Loss, T[] Losses, VocabularyPartial[] Partials, T[][] Gradient) actual, string what)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Assert.True(expected.Loss.Equals(actual.Loss), $"{what}: loss {actual.Loss}, expected {expected.Loss}");
        Assert.Equal(expected.Losses, actual.Losses);
        Assert.Equal(expected.Partials, actual.Partials);
        for (int k = 0; k < expected.Gradient.Length; k++)
        {
            for (int i = 0; i < expected.Gradient[k].Length; i++)
            {
                Assert.True(expected.Gradient[k][i].Equals(actual.Gradient[k][i]), $"{what}: gradient[{k}][{i}] {actual.Gradient[k][i]}, expected {expected.Gradient[k][i]}");
            }
        }
    }

    /// <summary>
    /// The one-max pass's promise (no soft-cap or smoothing): the per-slice calls' results within a few ulp —
    /// the same max, target logit and counts in each partial, Σe, losses and gradients within 40 ulp (the gradient also
    /// within a few ulp of its row's largest, near the target's cancellation), NaN where they have NaN.
    /// </summary>
    private static void Agree<T>((T Loss, T[] Losses, VocabularyPartial[] Partials, T[][] Gradient) expected,
        (T Loss, T[] Losses, VocabularyPartial[] Partials, T[][] Gradient) actual, string what)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double eps = double.CreateTruncating(T.Epsilon) == 0 ? 0 : (typeof(T) == typeof(float) ? 1.2e-7 : 2.3e-16);
        static bool Near(double e, double a, double relative, double absolute) =>
            e.Equals(a) || Math.Abs(a - e) <= (relative * Math.Abs(e)) + absolute;
        double Of(T v) => double.CreateTruncating(v);
        Assert.True(Near(Of(expected.Loss), Of(actual.Loss), 40 * eps, 0), $"{what}: loss {actual.Loss}, expected {expected.Loss}");
        for (int i = 0; i < expected.Losses.Length; i++)
        {
            Assert.True(Near(Of(expected.Losses[i]), Of(actual.Losses[i]), 40 * eps, 0), $"{what}: losses[{i}] {actual.Losses[i]}, expected {expected.Losses[i]}");
        }
        int rows = expected.Partials.Length;
        for (int r = 0; r < rows; r++)
        {
            VocabularyPartial e = expected.Partials[r], a = actual.Partials[r];
            Assert.True(e.Max.Equals(a.Max) && e.TargetLogit.Equals(a.TargetLogit) && e.Target == a.Target && e.Columns == a.Columns
                && e.Ignored == a.Ignored && e.TargetFound == a.TargetFound && e.WeightSum.Equals(a.WeightSum) && Near(e.SumOfExp, a.SumOfExp, 40 * eps, 0),
                $"{what}: partials[{r}] {a}, expected {e}");
            double scale = 0;
            for (int k = 0; k < expected.Gradient.Length; k++)
            {
                int width = expected.Gradient[k].Length / rows;
                for (int c = 0; c < width; c++)
                {
                    double g = Math.Abs(Of(expected.Gradient[k][(r * width) + c]));
                    scale = double.IsFinite(g) ? Math.Max(scale, g) : scale;
                }
            }
            for (int k = 0; k < expected.Gradient.Length; k++)
            {
                int width = expected.Gradient[k].Length / rows;
                for (int c = 0; c < width; c++)
                {
                    int i = (r * width) + c;
                    Assert.True(Near(Of(expected.Gradient[k][i]), Of(actual.Gradient[k][i]), 40 * eps, 8 * eps * scale),
                        $"{what}: gradient[{k}][{i}] {actual.Gradient[k][i]}, expected {expected.Gradient[k][i]}");
                }
            }
        }
    }

    /// <summary>Options under which the group runs the per-slice passes (the same bits); otherwise it may take the one-max pass.</summary>
    private static bool SliceBits(Options o) => o.Smoothing != 0 || !double.IsPositiveInfinity(o.Cap);

    /// <summary>The group against the sequence: the same bits under <see cref="SliceBits"/>, else within a few ulp (<see cref="Agree"/>).</summary>
    private static void Matches<T>((T Loss, T[] Losses, VocabularyPartial[] Partials, T[][] Gradient) expected,
        (T Loss, T[] Losses, VocabularyPartial[] Partials, T[][] Gradient) actual, Options o, string what)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (SliceBits(o))
        {
            SameBits(expected, actual, what);
        }
        else
        {
            Agree(expected, actual, what);
        }
    }

    private static int[][] Slicings(int classes) =>
    [
        [classes],
        [classes / 4, classes / 4, classes / 4, classes - (3 * (classes / 4))],
        [1, classes / 3, classes - 1 - (classes / 3)],
        [.. Enumerable.Repeat(1, Math.Min(classes, 6)).Concat(classes > 6 ? [classes - 6] : Array.Empty<int>())],
        [classes - 5, 5],
    ];

    private static readonly Options[] Variants =
    [
        new(),
        new(Reduction.Sum, Z: 1e-4),
        new(Reduction.None, Weighted: true, Smoothing: 0.1),
        new(Reduction.Mean, Weighted: true, Z: 1e-4),
        new(Reduction.Mean, Z: 1e-3, Cap: 30),
        new(Reduction.Mean, Weighted: true, Smoothing: 0.2, Z: 1e-4, Cap: 5),
    ];

    [Theory]
    [InlineData(37, 1000)]
    [InlineData(3, 4099)]
    [InlineData(70, 40)]
    [InlineData(1, 17)]
    public void Equals_the_per_slice_calls_in_sequence(int rows, int classes)
    {
        var (x, t, w) = Batch<float>(rows, classes, seed: rows + classes);
        var (xd, td, wd) = Batch<double>(rows, classes, seed: rows + classes);
        foreach (var widths in Slicings(classes))
        {
            var chunks = Chunks(x, rows, classes, widths);
            var chunksD = Chunks(xd, rows, classes, widths);
            foreach (var o in Variants)
            {
                string what = $"{rows}x{classes} [{string.Join(", ", widths)}] {o}";
                Matches(Sequence(chunks, t, widths, w, o), Group(chunks, t, w, o), o, what);
                Matches(Sequence(chunksD, td, widths, wd, o), Group(chunksD, td, wd, o), o, what + " (double)");
            }
        }
    }

    /// <summary>A cross-entropy batch (masked logits, ignored rows, weights, smoothing), a slicing into 1–4 chunks, and options.</summary>
    public sealed record GroupCase(CeBatch Batch, int[] Widths, Reduction Reduction, double Z, double Cap)
    {
        public override string ToString() => $"{Batch} widths=[{string.Join(", ", Widths)}] {Reduction} z={Z} cap={Cap}";
    }

    public static Arbitrary<GroupCase> GroupCases() =>
        (from batch in CrossEntropyProperties.Batches().Generator
         from slices in Gen.Choose(1, 4)
         from seed in Gen.Choose(0, int.MaxValue)
         from reduction in Gen.Elements(Reduction.Mean, Reduction.Sum, Reduction.None)
         from z in Gen.Elements(0.0, 1e-4, 0.01)
         from cap in Gen.Elements(double.PositiveInfinity, double.PositiveInfinity, double.PositiveInfinity, 30.0)
         select new GroupCase(batch, Cut(batch.Classes, slices, seed), reduction, z, cap)).ToArbitrary();

    /// <summary>Up to <paramref name="slices"/> widths summing to <paramref name="classes"/>, cut at random.</summary>
    private static int[] Cut(int classes, int slices, int seed)
    {
        var random = new Random(seed);
        int[] cuts = [.. Enumerable.Range(0, slices - 1).Select(_ => random.Next(1, Math.Max(classes, 2))).Where(c => c < classes).Distinct().Order()];
        return [.. cuts.Append(classes).Select((c, i) => c - (i == 0 ? 0 : cuts[i - 1]))];
    }

    /// <summary>
    /// Any batch, slicing and options: the group matches the per-slice calls (bitwise with smoothing or a cap; the
    /// one-max pass within a few ulp), and gives the same bits on two threads and in place; float and double.
    /// </summary>
    [Property(Arbitrary = [typeof(SliceGroupTests)], MaxTest = 80)]
    public void Any_batch_and_slicing_matches_the_per_slice_calls(GroupCase c)
    {
        Check<float>(c);
        Check<double>(c);

        static void Check<T>(GroupCase c)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            var b = c.Batch;
            T[] x = [.. b.Logits.Select(T.CreateTruncating)];
            T[] w = [.. b.Weight.Select(T.CreateTruncating)];
            var o = new Options(c.Reduction, Weighted: w.Length > 0, Smoothing: b.Smoothing, Z: c.Z, Cap: c.Cap);
            var chunks = Chunks(x, b.Rows, b.Classes, c.Widths);
            var group = Group(chunks, b.Targets, w, o);
            Matches(Sequence(chunks, b.Targets, c.Widths, w, o), group, o, $"{typeof(T).Name} {c}");
            SameBits(group, Group(chunks, b.Targets, w, o, threads: 2), $"{typeof(T).Name} 2 threads {c}");
            if (double.IsPositiveInfinity(c.Cap))
            {
                SameBits(group, Group(chunks, b.Targets, w, o, inPlace: true), $"{typeof(T).Name} in place {c}");
            }
        }
    }

    [Fact]
    public void Masked_logits_and_ignored_rows_match_the_sequence()
    {
        const int rows = 40, classes = 300;
        var (x, t, w) = Batch<float>(rows, classes, seed: 5, masked: true);
        var (xd, td, wd) = Batch<double>(rows, classes, seed: 5, masked: true);
        // A 7-column slice is narrower than a vector (the per-slice passes); [100, 17, 183] takes the one-max pass.
        foreach (int[] widths in new[] { new[] { 100, 7, 193 }, [100, 17, 183] })
        {
            var chunks = Chunks(x, rows, classes, widths);
            var chunksD = Chunks(xd, rows, classes, widths);
            foreach (var o in Variants)
            {
                Matches(Sequence(chunks, t, widths, w, o), Group(chunks, t, w, o), o, $"masked [{string.Join(", ", widths)}] {o}");
                Matches(Sequence(chunksD, td, widths, wd, o), Group(chunksD, td, wd, o), o, $"masked [{string.Join(", ", widths)}] {o} (double)");
            }
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Edge_rows_match_the_sequence(int threads)
    {
        // Rows of ±1e4 logits, subnormals, a NaN, a +∞, a −∞ target, every column masked, and the row max in each slice in
        // turn, through the one-max pass and its carried maxima (rows in one group, and across groups).
        const int classes = 64;
        int[] widths = [16, 24, 24];
        var rows = new List<(float[] X, int T)>();
        var random = new Random(9);
        float[] Row(Func<int, float> f) => [.. Enumerable.Range(0, classes).Select(f)];
        rows.Add((Row(c => c % 2 == 0 ? 1e4f : -1e4f), 3));
        rows.Add((Row(c => c * 1e-40f), 7));
        rows.Add((Row(c => c == 20 ? float.NaN : c), 1));
        rows.Add((Row(c => c == 40 ? float.PositiveInfinity : c), 40));
        rows.Add((Row(c => c == 41 ? float.PositiveInfinity : c), 2));
        rows.Add((Row(c => c == 5 ? float.NegativeInfinity : c * 0.1f), 5));
        rows.Add((Row(_ => float.NegativeInfinity), 9));
        rows.Add((Row(c => c < 16 ? float.NegativeInfinity : (float)random.NextDouble()), 30));
        for (int m = 0; m < classes; m += 9)
        {
            int peak = m;
            rows.Add((Row(c => c == peak ? 50f : (float)random.NextDouble()), random.Next(classes)));
        }
        var all = Enumerable.Range(0, 3).SelectMany(_ => rows).ToArray(); // past one group of 32 rows
        float[] x = [.. all.SelectMany(r => r.X)];
        int[] t = [.. all.Select(r => r.T)];
        var chunks = Chunks(x, t.Length, classes, widths);
        foreach (var o in new Options[] { new(), new(Reduction.None, Z: 1e-4), new(Reduction.Sum) })
        {
            var sequence = Sequence(chunks, t, widths, [], o);
            Agree(sequence, Group(chunks, t, [], o, threads), $"edges {o}");
            Agree(sequence, Group(chunks, t, [], o, threads, inPlace: true), $"edges in place {o}");
        }
    }

    [Fact]
    public void Is_the_one_shot_cross_entropy_within_a_few_ulp()
    {
        const int rows = 33, classes = 2000;
        var (x, t, w) = Batch<float>(rows, classes, seed: 3);
        foreach (var o in Variants)
        {
            var expectedGradient = new float[x.Length];
            var expectedLosses = new float[rows];
            float expected = CrossEntropy.Forward<float>(x, t, classes, expectedGradient, o.Reduction, expectedLosses, o.Weighted ? w : default,
                o.IgnoreIndex, o.Smoothing, o.Z, o.Cap);
            int[] widths = [500, 512, 988];
            var group = Group(Chunks(x, rows, classes, widths), t, w, o);
            Assert.Equal(expected, group.Loss, Math.Abs(expected) * 2e-6f);
            Approx.Equal<float>(expectedLosses, group.Losses, 2e-6, 2e-6, $"losses {o}");
            float[] gradient = Joined(group.Gradient, rows, widths);
            for (int r = 0; r < rows; r++)
            {
                // Within a few ulp of the element, or of the row's largest gradient near the target's cancellation.
                float scale = 0;
                for (int c = 0; c < classes; c++)
                {
                    scale = Math.Max(scale, Math.Abs(expectedGradient[(r * classes) + c]));
                }
                for (int c = 0; c < classes; c++)
                {
                    int i = (r * classes) + c;
                    Assert.True(Math.Abs(gradient[i] - expectedGradient[i]) <= (4e-6f * Math.Abs(expectedGradient[i])) + (1e-6f * scale), $"{o}: gradient {i}: {gradient[i]}, expected {expectedGradient[i]}");
                }
            }
        }
    }

    [Fact]
    public void Random_slicings_equal_the_sequence_and_the_one_shot()
    {
        var random = new Random(2026);
        for (int trial = 0; trial < 40; trial++)
        {
            int rows = random.Next(1, 80), classes = random.Next(1, 600);
            var (x, t, w) = Batch<float>(rows, classes, seed: trial);
            var widths = new List<int>();
            for (int left = classes; left > 0;)
            {
                int width = random.Next(3) == 0 ? random.Next(1, 5) : random.Next(1, left + 1);
                width = Math.Min(width, left);
                widths.Add(width);
                left -= width;
            }
            var o = Variants[random.Next(Variants.Length)];
            var chunks = Chunks(x, rows, classes, [.. widths]);
            string what = $"trial {trial}: {rows}x{classes} [{string.Join(", ", widths)}] {o}";
            var group = Group(chunks, t, w, o, threads: 1 + (trial % 2));
            Matches(Sequence(chunks, t, [.. widths], w, o), group, o, what);
            float expected = CrossEntropy.Forward<float>(x, t, classes, reduction: o.Reduction, losses: new float[rows], weight: o.Weighted ? w : default, labelSmoothing: o.Smoothing,
                zLoss: o.Z, softCap: o.Cap);
            Assert.True(Math.Abs(group.Loss - expected) <= (Math.Abs(expected) * 4e-6f) + 1e-6f || (float.IsNaN(expected) && float.IsNaN(group.Loss)), $"{what}: {group.Loss}, expected {expected}");
        }
    }

    [Fact]
    public void Any_thread_count_and_in_place_give_the_same_bits()
    {
        const int rows = 700, classes = 1000;
        var (x, t, w) = Batch<float>(rows, classes, seed: 11);
        int[] widths = [250, 250, 250, 250];
        var chunks = Chunks(x, rows, classes, widths);
        foreach (var o in Variants)
        {
            var one = Group(chunks, t, w, o);
            SameBits(one, Group(chunks, t, w, o, threads: 2), $"2 threads {o}");
            SameBits(one, Group(chunks, t, w, o, threads: -1), $"all cores {o}");
            if (double.IsPositiveInfinity(o.Cap))
            {
                SameBits(one, Group(chunks, t, w, o, inPlace: true), $"in place {o}");
            }
        }
    }

    [Fact]
    public void Long_targets_give_the_int_bits()
    {
        const int rows = 20, classes = 300;
        var (x, t, _) = Batch<float>(rows, classes, seed: 4);
        ReadOnlyMemory<float>[] chunks = [.. Chunks(x, rows, classes, [100, 200]).Select(c => (ReadOnlyMemory<float>)c)];
        var a = new float[][] { new float[rows * 100], new float[rows * 200] };
        var b = new float[][] { new float[rows * 100], new float[rows * 200] };
        var pa = new VocabularyPartial[rows];
        var pb = new VocabularyPartial[rows];
        float la = CrossEntropySlices.ForwardBackward<float>(chunks, t, [a[0], a[1]], pa, zLoss: 1e-4);
        float lb = CrossEntropySlices.ForwardBackward<float>(chunks, [.. t.Select(v => (long)v)], [b[0], b[1]], pb, zLoss: 1e-4);
        Assert.Equal(la, lb);
        Assert.Equal(pa, pb);
        Assert.Equal(a[0], b[0]);
        Assert.Equal(a[1], b[1]);
    }

    [Fact]
    public void Allocates_nothing_on_either_pass()
    {
        const int rows = 40, classes = 1000;
        var (x, t, w) = Batch<float>(rows, classes, seed: 8);
        float[][] chunks = Chunks(x, rows, classes, [250, 250, 500]);
        float[][] g = [.. chunks.Select(c => new float[c.Length])];
        var partials = new VocabularyPartial[rows];
        var losses = new float[rows];
        void Both()
        {
            // The one-max pass, then the per-slice passes (smoothing, cap).
            CrossEntropySlices.ForwardBackward<float>([chunks[0], chunks[1], chunks[2]], t, [g[0], g[1], g[2]], partials, zLoss: 1e-4);
            CrossEntropySlices.ForwardBackward<float>([chunks[0], chunks[1], chunks[2]], t, [g[0], g[1], g[2]], partials, Reduction.None, losses, w,
                labelSmoothing: 0.1, softCap: 30);
        }
        Both();
        Assert.Equal(0, Allocations.Of(Both));
    }

    [Fact]
    public void No_rows_writes_nothing()
    {
        Assert.True(float.IsNaN(CrossEntropySlices.ForwardBackward<float>([Array.Empty<float>()], ReadOnlySpan<int>.Empty, [Array.Empty<float>()], default)));
        Assert.Equal(0f, CrossEntropySlices.ForwardBackward<float>([Array.Empty<float>()], ReadOnlySpan<int>.Empty, [Array.Empty<float>()], default, Reduction.Sum));
    }

    [Fact]
    public void Misuse_throws_naming_the_argument_and_index_before_writing()
    {
        const int rows = 4;
        float[] left = new float[rows * 8], right = new float[rows * 8];
        for (int i = 0; i < left.Length; i++)
        {
            left[i] = i % 5;
            right[i] = -(i % 3);
        }
        int[] targets = [0, 9, 15, -100];
        float[] gl = [.. Enumerable.Repeat(7f, left.Length)], gr = [.. Enumerable.Repeat(7f, right.Length)];
        var partials = new VocabularyPartial[rows];
        float[] both = new float[rows * 16];

        void Throws(Action call, string parameter, string? fragment = null)
        {
            var e = Assert.ThrowsAny<ArgumentException>(call);
            Assert.Equal(parameter, e.ParamName);
            if (fragment != null)
            {
                Assert.Contains(fragment, e.Message, StringComparison.Ordinal);
            }
            Assert.All(gl, v => Assert.Equal(7f, v));
            Assert.All(gr, v => Assert.Equal(7f, v));
            Assert.All(partials, p => Assert.Equal(default, p));
        }

        Throws(() => CrossEntropySlices.ForwardBackward<float>(ReadOnlySpan<ReadOnlyMemory<float>>.Empty, targets, ReadOnlySpan<Memory<float>>.Empty, partials), "logits");
        Throws(() => CrossEntropySlices.ForwardBackward<float>([left, right], targets, [gl], partials), "gradient");
        Throws(() => CrossEntropySlices.ForwardBackward<float>([left, right.AsMemory(1)], targets, [gl, gr], partials), "logits", "logits[1]");
        Throws(() => CrossEntropySlices.ForwardBackward<float>([left, right], targets, [gl, gr.AsMemory(2)], partials), "gradient", "gradient[1]");
        Throws(() => CrossEntropySlices.ForwardBackward<float>([left, right], targets, [gl, left], partials), "gradient[1]");
        Throws(() => CrossEntropySlices.ForwardBackward<float>([left, right], targets, [gl, gl], partials), "gradient[1]");
        Throws(() => CrossEntropySlices.ForwardBackward<float>([left, right], targets, [gl, right.AsMemory(0, right.Length)], partials, softCap: 30), "gradient[1]");
        Throws(() => CrossEntropySlices.ForwardBackward<float>([both.AsMemory(0, 32), both.AsMemory(32)], targets, [gl, both.AsMemory(1, 32)], partials), "gradient[1]");
        Throws(() => CrossEntropySlices.ForwardBackward<float>([left, right], [0, 9, 16, 1], [gl, gr], partials), "targets", "targets[2]");
        Throws(() => CrossEntropySlices.ForwardBackward<float>([left, right], targets, [gl, gr], partials.AsSpan(1)), "partials");
        Throws(() => CrossEntropySlices.ForwardBackward<float>([left, right], targets, [gl, gr], partials, Reduction.None, new float[3]), "losses");
        Throws(() => CrossEntropySlices.ForwardBackward<float>([left, right], targets, [gl, gr], partials, weight: new float[15]), "weight");
        Throws(() => CrossEntropySlices.ForwardBackward<float>([left, right], targets, [gl, gr], partials, zLoss: -1), "zLoss");
        Throws(() => CrossEntropySlices.ForwardBackward<float>([left, right], targets, [gl, gr], partials, softCap: 0), "softCap");
        Throws(() => CrossEntropySlices.ForwardBackward<float>([left, right], targets, [gl, gr], partials, maxDegreeOfParallelism: 0), "maxDegreeOfParallelism");
        ReadOnlyMemory<float>[] many = [.. Enumerable.Range(0, 257).Select(_ => (ReadOnlyMemory<float>)new float[rows])];
        Memory<float>[] manyGradients = [.. Enumerable.Range(0, 257).Select(_ => (Memory<float>)new float[rows])];
        Throws(() => CrossEntropySlices.ForwardBackward<float>(many, targets, manyGradients, partials), "logits", "257");

        // And then a good call writes.
        float loss = CrossEntropySlices.ForwardBackward<float>([left, right], targets, [gl, gr], partials);
        Assert.True(float.IsFinite(loss));
        Assert.Equal(16, partials[0].Columns);
    }
}
