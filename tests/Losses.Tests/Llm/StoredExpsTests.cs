using System.Buffers;
using System.Numerics.Tensors;

namespace Losses.Tests;

/// <summary>
/// The storing forms (a forward that leaves its exps in the gradient buffer, a backward that rescales them): equal to the
/// plain forms within a few ulp for any slicing and option, finite differences, determinism, in place, misuse refused
/// before writing, no allocation.
/// </summary>
public class StoredExpsTests
{
    private static (float[] X, int[] T) Batch(int rows, int classes, int seed = 1, double spread = 20)
    {
        var random = new Random(seed);
        float[] x = [.. Enumerable.Range(0, rows * classes).Select(_ => (float)((random.NextDouble() - 0.5) * spread))];
        int[] t = [.. Enumerable.Range(0, rows).Select(r => r % 5 == 3 ? -100 : random.Next(classes))];
        return (x, t);
    }

    /// <summary>|actual − expected| within a few ulp of the element, or of the row's largest gradient near a cancellation (the target).</summary>
    private static void Close<T>(ReadOnlySpan<T> expected, ReadOnlySpan<T> actual, int rows, int classes, double relative, string what)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        for (int r = 0; r < rows; r++)
        {
            double scale = 0;
            for (int c = 0; c < classes; c++)
            {
                scale = Math.Max(scale, Math.Abs(double.CreateTruncating(expected[(r * classes) + c])));
            }
            for (int c = 0; c < classes; c++)
            {
                double e = double.CreateTruncating(expected[(r * classes) + c]), a = double.CreateTruncating(actual[(r * classes) + c]);
                Assert.True(Math.Abs(a - e) <= (relative * Math.Abs(e)) + (relative * scale / 4), $"{what}: row {r}, class {c}: {a}, expected {e}");
            }
        }
    }

    /// <summary>The token storing forward and backward against the plain ones (log p, H, gradient); returns the stored form's gradient.</summary>
    private static float[] TokenStoredAgainstPlain(float[] x, int[] t, int rows, int classes, float[] alpha, float[] beta, double cap, string what)
    {
        var lp = new float[rows];
        var h = new float[rows];
        var expectedLp = new float[rows];
        var expectedH = new float[rows];
        var partials = new VocabularyPartial[rows];
        var g = new float[x.Length];
        var expected = new float[x.Length];
        TokenLogProbabilities.Forward<float>(x, t, lp, partials, g, classes, h, softCap: cap);
        TokenLogProbabilities.Backward<float>(x, partials, alpha, beta, g, classes, cap);
        TokenLogProbabilities.Forward<float>(x, t, expectedLp, classes, expectedH, softCap: cap);
        TokenLogProbabilities.Backward<float>(x, t, alpha, beta, expected, classes, softCap: cap);
        Approx.Equal<float>(expectedLp, lp, 2e-6, 2e-6, what);
        Approx.Equal<float>(expectedH, h, 2e-5, 2e-6, what);
        Close<float>(expected, g, rows, classes, 2e-5, what);
        return g;
    }

    private static int[][] Slicings(int classes) =>
    [
        [classes],
        [classes / 4, classes / 4, classes / 4, classes - (3 * (classes / 4))],
        [1, classes / 3, classes - 1 - (classes / 3)],
        [.. Enumerable.Repeat(1, Math.Min(classes, 6)).Concat(classes > 6 ? [classes - 6] : Array.Empty<int>())],
    ];

    private static float[] SlicedStored(float[] x, int[] t, int rows, int classes, int[] widths, Reduction reduction, float[] w, double smoothing,
        double z, double cap, out float loss, out VocabularyPartial[] combined, bool entropy = false, int threads = 1)
    {
        var g = new float[x.Length];
        var own = widths.Select(_ => new VocabularyPartial[rows]).ToArray();
        combined = new VocabularyPartial[rows];
        int offset = 0;
        for (int s = 0; s < widths.Length; s++)
        {
            CrossEntropySlices.Forward<float>(x.AsSpan(offset), t, own[s], g.AsSpan(offset), classes, offset, widths[s], stride: classes, weight: w,
                labelSmoothing: smoothing, entropy: entropy, softCap: cap, maxDegreeOfParallelism: threads);
            CrossEntropySlices.Combine(own[s], combined);
            offset += widths[s];
        }
        loss = CrossEntropySlices.Loss<float>(combined, classes, reduction, reduction == Reduction.None ? new float[rows] : default, smoothing, z);
        offset = 0;
        for (int s = 0; s < widths.Length; s++)
        {
            CrossEntropySlices.Backward<float>(x.AsSpan(offset), own[s], combined, g.AsSpan(offset), classes, offset, widths[s], classes, reduction, w,
                smoothing, z, cap, threads);
            offset += widths[s];
        }
        return g;
    }

    [Theory]
    [InlineData(7, 37)]
    [InlineData(5, 300)]
    [InlineData(3, 2049)]
    public void Cross_entropy_slices_equal_the_plain_form_for_any_slicing_and_option(int rows, int classes)
    {
        var (x, t) = Batch(rows, classes, classes);
        float[] weight = [.. Enumerable.Range(0, classes).Select(c => 0.5f + (c % 3))];
        foreach (int[] widths in Slicings(classes))
        {
            foreach (var (reduction, w, smoothing, z, cap) in new (Reduction, float[], double, double, double)[]
            {
                (Reduction.Mean, [], 0, 0, double.PositiveInfinity),
                (Reduction.Sum, weight, 0.1, 1e-4, double.PositiveInfinity),
                (Reduction.None, [], 0.2, 0, 5),
                (Reduction.Mean, weight, 0, 1e-3, 30),
            })
            {
                float[] stored = SlicedStored(x, t, rows, classes, widths, reduction, w, smoothing, z, cap, out float loss, out _);
                var expected = new float[x.Length];
                float expectedLoss = CrossEntropy.Forward<float>(x, t, classes, expected, reduction, reduction == Reduction.None ? new float[rows] : default, w, -100, smoothing, z, cap);
                string what = $"{rows}x{classes} slices [{string.Join(",", widths)}] {reduction} w={w.Length} ε={smoothing} λ={z} c={cap}";
                Approx.Equal(expectedLoss, loss, 1e-5, 0, what);
                Close<float>(expected, stored, rows, classes, 2e-5, what);
            }
        }
    }

    [Fact]
    public void Stored_partials_equal_the_plain_ones_and_the_gradient_is_the_plain_backward_in_double()
    {
        const int rows = 6, classes = 257;
        var random = new Random(3);
        double[] x = [.. Enumerable.Range(0, rows * classes).Select(_ => (random.NextDouble() - 0.5) * 30)];
        x[5] = double.NegativeInfinity; // a masked logit stores 0 and gets the plain gradient
        int[] t = [1, 200, -100, 17, 256, 0];
        var plain = new VocabularyPartial[rows];
        var own = new VocabularyPartial[rows];
        var g = new double[x.Length];
        CrossEntropySlices.Forward<double>(x.AsSpan(64), t, plain, classes, 64, 100, stride: classes);
        CrossEntropySlices.Forward<double>(x.AsSpan(64), t, own, g.AsSpan(64), classes, 64, 100, stride: classes, labelSmoothing: 0.1, entropy: true);
        for (int r = 0; r < rows; r++)
        {
            Assert.Equal(plain[r].Max, own[r].Max);
            Approx.Equal(plain[r].SumOfExp, own[r].SumOfExp, 1e-14);
            Approx.Equal(plain[r].ExpMoment, own[r].ExpMoment, 1e-12, 1e-14);
            Approx.Equal(plain[r].ShiftedSum, own[r].ShiftedSum, 1e-13);
            Assert.Equal(plain[r].TargetLogit, own[r].TargetLogit);
            Assert.Equal(plain[r].Target, own[r].Target);
        }
        Assert.Equal(0, g[5]);

        // One-slice vocabulary in double: the storing backward against the plain one.
        var all = new VocabularyPartial[rows];
        var gradient = new double[x.Length];
        CrossEntropySlices.Forward<double>(x, t, all, gradient, classes, 0, classes, labelSmoothing: 0.1);
        CrossEntropySlices.Backward<double>(x, all, all, gradient, classes, 0, classes, labelSmoothing: 0.1, zLoss: 1e-4);
        var expected = new double[x.Length];
        CrossEntropySlices.Backward<double>(x, all, expected, classes, 0, classes, labelSmoothing: 0.1, zLoss: 1e-4);
        Close<double>(expected, gradient, rows, classes, 1e-13, "double");
        Assert.Equal(expected[5], gradient[5]);
    }

    [Fact]
    public void Storing_backward_matches_finite_differences_of_the_loss()
    {
        const int rows = 3, classes = 41;
        var random = new Random(11);
        double[] x = [.. Enumerable.Range(0, rows * classes).Select(_ => (random.NextDouble() - 0.5) * 6)];
        int[] t = [4, 40, 0];
        double[] w = [.. Enumerable.Range(0, classes).Select(c => 0.5 + (c % 4))];
        int[] widths = [10, 20, 11];
        double Loss(double[] logits)
        {
            var combined = new VocabularyPartial[rows];
            var part = new VocabularyPartial[rows];
            int offset = 0;
            foreach (int width in widths)
            {
                CrossEntropySlices.Forward<double>(logits.AsSpan(offset), t, part, classes, offset, width, stride: classes, weight: w, softCap: 4);
                CrossEntropySlices.Combine(part, combined);
                offset += width;
            }
            return CrossEntropySlices.Loss<double>(combined, classes, Reduction.Mean, default, 0.1, 1e-2);
        }
        var g = new double[x.Length];
        var own = widths.Select(_ => new VocabularyPartial[rows]).ToArray();
        var all = new VocabularyPartial[rows];
        int at = 0;
        for (int s = 0; s < widths.Length; s++)
        {
            CrossEntropySlices.Forward<double>(x.AsSpan(at), t, own[s], g.AsSpan(at), classes, at, widths[s], classes, w, labelSmoothing: 0.1, softCap: 4);
            CrossEntropySlices.Combine(own[s], all);
            at += widths[s];
        }
        at = 0;
        for (int s = 0; s < widths.Length; s++)
        {
            CrossEntropySlices.Backward<double>(x.AsSpan(at), own[s], all, g.AsSpan(at), classes, at, widths[s], classes, Reduction.Mean, w, 0.1, 1e-2, 4);
            at += widths[s];
        }
        const double h = 1e-6;
        for (int i = 0; i < x.Length; i++)
        {
            double[] up = [.. x], down = [.. x];
            up[i] += h;
            down[i] -= h;
            Approx.Equal((Loss(up) - Loss(down)) / (2 * h), g[i], 1e-5, 1e-8, $"∂/∂x[{i}]");
        }
    }

    [Fact]
    public void Token_storing_forward_and_backward_equal_the_plain_ones()
    {
        foreach (int classes in new[] { 10, 333, 4100 })
        {
            const int rows = 9;
            var (x, t) = Batch(rows, classes, classes + 1);
            var random = new Random(2);
            float[] alpha = [.. Enumerable.Range(0, rows).Select(_ => (float)(random.NextDouble() - 0.5))];
            float[] beta = [.. Enumerable.Range(0, rows).Select(_ => (float)(random.NextDouble() - 0.5))];
            foreach (double cap in new[] { double.PositiveInfinity, 7 })
            {
                foreach (bool withBeta in new[] { true, false })
                {
                    TokenStoredAgainstPlain(x, t, rows, classes, alpha, withBeta ? beta : [], cap, $"C={classes} c={cap} β={withBeta}");
                }
            }
        }
    }

    [Fact]
    public void Token_slices_from_the_cross_entropy_storing_forward_equal_the_plain_slice_backward()
    {
        const int rows = 5, classes = 1000;
        var (x, t) = Batch(rows, classes, 9);
        float[] alpha = [0.5f, -1, 0.25f, 2, -0.5f], beta = [0.1f, 0.2f, -0.3f, 0.4f, -0.5f];
        int[] widths = [300, 300, 400];
        var own = widths.Select(_ => new VocabularyPartial[rows]).ToArray();
        var all = new VocabularyPartial[rows];
        var g = new float[x.Length];
        int at = 0;
        for (int s = 0; s < widths.Length; s++)
        {
            CrossEntropySlices.Forward<float>(x.AsSpan(at), t, own[s], g.AsSpan(at), classes, at, widths[s], classes, entropy: true, softCap: 20);
            CrossEntropySlices.Combine(own[s], all);
            at += widths[s];
        }
        var expected = new float[x.Length];
        at = 0;
        for (int s = 0; s < widths.Length; s++)
        {
            TokenLogProbabilities.BackwardSlice<float>(x.AsSpan(at), own[s], all, alpha, beta, g.AsSpan(at), classes, at, widths[s], classes, 20);
            TokenLogProbabilities.BackwardSlice<float>(x.AsSpan(at), all, alpha, beta, expected.AsSpan(at), classes, at, widths[s], classes, 20);
            at += widths[s];
        }
        Close<float>(expected, g, rows, classes, 2e-5, "token slices");
    }

    /// <summary>
    /// Masked (−∞) logits in the common case (no cap, no weights), over more rows than one group of the row driver: the
    /// storing forward finds them (its moment is summed again with the floor, the partial marked), the entropy's gradient
    /// floors for those slices only; the results equal the plain forms and masked classes get exactly 0.
    /// </summary>
    [Fact]
    public void Masked_logits_in_the_common_path_equal_the_plain_forms()
    {
        const int rows = 70, classes = 300;
        var (x, t) = Batch(rows, classes, 11);
        for (int r = 0; r < rows; r += 3)
        {
            for (int c = r % 7; c < classes; c += 5 + (r % 4))
            {
                x[(r * classes) + c] = c == t[r] ? x[(r * classes) + c] : float.NegativeInfinity;
            }
        }
        var random = new Random(5);
        float[] alpha = [.. Enumerable.Range(0, rows).Select(_ => (float)(random.NextDouble() - 0.5))];
        float[] beta = [.. Enumerable.Range(0, rows).Select(_ => (float)(random.NextDouble() - 0.5))];

        // Token log-probabilities: storing forward and backward against the plain ones.
        float[] g = TokenStoredAgainstPlain(x, t, rows, classes, alpha, beta, double.PositiveInfinity, "masked");
        for (int i = 0; i < x.Length; i++)
        {
            Assert.True(!float.IsNegativeInfinity(x[i]) || g[i] == 0, $"masked class {i} got {g[i]}");
        }

        // Entropy gradients of vocabulary slices from the cross-entropy's storing forward.
        int[] widths = [100, 120, 80];
        var own = widths.Select(_ => new VocabularyPartial[rows]).ToArray();
        var all = new VocabularyPartial[rows];
        Array.Clear(g);
        var expected = new float[x.Length];
        int at = 0;
        for (int s = 0; s < widths.Length; s++)
        {
            CrossEntropySlices.Forward<float>(x.AsSpan(at), t, own[s], g.AsSpan(at), classes, at, widths[s], classes, entropy: true);
            CrossEntropySlices.Combine(own[s], all);
            at += widths[s];
        }
        at = 0;
        for (int s = 0; s < widths.Length; s++)
        {
            TokenLogProbabilities.BackwardSlice<float>(x.AsSpan(at), own[s], all, alpha, beta, g.AsSpan(at), classes, at, widths[s], classes);
            TokenLogProbabilities.BackwardSlice<float>(x.AsSpan(at), all, alpha, beta, expected.AsSpan(at), classes, at, widths[s], classes);
            at += widths[s];
        }
        Close<float>(expected, g, rows, classes, 2e-5, "token slices");

        // Cross-entropy in place and apart, with the entropy's moment summed: the same bits.
        float[] apart = SlicedStored(x, t, rows, classes, widths, Reduction.Mean, [], 0, 1e-4, double.PositiveInfinity, out float loss, out var combined,
            entropy: true);
        float[] buffer = [.. x];
        var inPlace = widths.Select(_ => new VocabularyPartial[rows]).ToArray();
        var together = new VocabularyPartial[rows];
        at = 0;
        for (int s = 0; s < widths.Length; s++)
        {
            CrossEntropySlices.Forward<float>(buffer.AsSpan(at), t, inPlace[s], buffer.AsSpan(at), classes, at, widths[s], classes, entropy: true);
            CrossEntropySlices.Combine(inPlace[s], together);
            at += widths[s];
        }
        Assert.Equal(combined, together);
        Assert.Equal(loss, CrossEntropySlices.Loss<float>(together, classes, zLoss: 1e-4));
        at = 0;
        for (int s = 0; s < widths.Length; s++)
        {
            CrossEntropySlices.Backward<float>(buffer.AsSpan(at), inPlace[s], together, buffer.AsSpan(at), classes, at, widths[s], classes, zLoss: 1e-4);
            at += widths[s];
        }
        Assert.Equal(apart, buffer);
    }

    /// <summary>The common path in double (groups of rows, the ratios and logs a vector at a time): the one-shot results within double's ulps.</summary>
    [Fact]
    public void Common_path_in_double_equals_the_one_shot_and_plain_forms()
    {
        const int rows = 40, classes = 260;
        var random = new Random(8);
        double[] x = [.. Enumerable.Range(0, rows * classes).Select(_ => (random.NextDouble() - 0.5) * 40)];
        int[] t = [.. Enumerable.Range(0, rows).Select(r => r % 7 == 2 ? -100 : random.Next(classes))];
        x[(3 * classes) + 7] = double.NegativeInfinity;
        int[] widths = [100, 160];
        var own = widths.Select(_ => new VocabularyPartial[rows]).ToArray();
        var all = new VocabularyPartial[rows];
        var g = new double[x.Length];
        int at = 0;
        for (int s = 0; s < widths.Length; s++)
        {
            CrossEntropySlices.Forward<double>(x.AsSpan(at), t, own[s], g.AsSpan(at), classes, at, widths[s], classes, entropy: true);
            CrossEntropySlices.Combine(own[s], all);
            at += widths[s];
        }
        double loss = CrossEntropySlices.Loss<double>(all, classes, zLoss: 1e-3);
        at = 0;
        for (int s = 0; s < widths.Length; s++)
        {
            CrossEntropySlices.Backward<double>(x.AsSpan(at), own[s], all, g.AsSpan(at), classes, at, widths[s], classes, zLoss: 1e-3);
            at += widths[s];
        }
        var expected = new double[x.Length];
        double expectedLoss = CrossEntropy.Forward<double>(x, t, classes, expected, zLoss: 1e-3);
        Approx.Equal(expectedLoss, loss, 1e-13, 0, "loss");
        Close<double>(expected, g, rows, classes, 1e-12, "gradient");

        double[] alpha = [.. Enumerable.Range(0, rows).Select(_ => random.NextDouble() - 0.5)];
        double[] beta = [.. Enumerable.Range(0, rows).Select(_ => random.NextDouble() - 0.5)];
        var lp = new double[rows];
        var h = new double[rows];
        var expectedLp = new double[rows];
        var expectedH = new double[rows];
        var partials = new VocabularyPartial[rows];
        TokenLogProbabilities.Forward<double>(x, t, lp, partials, g, classes, h);
        TokenLogProbabilities.Backward<double>(x, partials, alpha, beta, g, classes);
        TokenLogProbabilities.Forward<double>(x, t, expectedLp, classes, expectedH);
        TokenLogProbabilities.Backward<double>(x, t, alpha, beta, expected, classes);
        Approx.Equal<double>(expectedLp, lp, 1e-13, 1e-13, "log p");
        Approx.Equal<double>(expectedH, h, 1e-12, 1e-13, "entropy");
        Close<double>(expected, g, rows, classes, 1e-12, "token gradient");
    }

    [Fact]
    public void In_place_without_a_cap_is_bitwise_the_out_of_place_result()
    {
        const int rows = 4, classes = 500;
        var (x, t) = Batch(rows, classes, 4);
        float[] apart = SlicedStored(x, t, rows, classes, [200, 300], Reduction.Mean, [], 0, 1e-4, double.PositiveInfinity, out float loss, out _);
        float[] buffer = [.. x];
        var a = new VocabularyPartial[rows];
        var b = new VocabularyPartial[rows];
        var all = new VocabularyPartial[rows];
        CrossEntropySlices.Forward<float>(buffer, t, a, buffer, classes, 0, 200, classes);
        CrossEntropySlices.Forward<float>(buffer.AsSpan(200), t, b, buffer.AsSpan(200), classes, 200, 300, classes);
        CrossEntropySlices.Combine(a, all);
        CrossEntropySlices.Combine(b, all);
        Assert.Equal(loss, CrossEntropySlices.Loss<float>(all, classes, zLoss: 1e-4));
        CrossEntropySlices.Backward<float>(buffer, a, all, buffer, classes, 0, 200, classes, zLoss: 1e-4);
        CrossEntropySlices.Backward<float>(buffer.AsSpan(200), b, all, buffer.AsSpan(200), classes, 200, 300, classes, zLoss: 1e-4);
        Assert.Equal(apart, buffer);

        // Token log-probabilities in place, without the entropy's term.
        float[] logits = [.. x];
        var lp = new float[rows];
        var p = new VocabularyPartial[rows];
        float[] alpha = [1, -1, 0.5f, 2];
        var expected = new float[x.Length];
        TokenLogProbabilities.Forward<float>(x, t, lp, p, expected, classes);
        TokenLogProbabilities.Backward<float>(x, p, alpha, default, expected, classes);
        TokenLogProbabilities.Forward<float>(logits, t, lp, p, logits, classes);
        TokenLogProbabilities.Backward<float>(logits, p, alpha, default, logits, classes);
        Assert.Equal(expected, logits);
    }

    [Fact]
    public void Results_are_bitwise_the_same_for_any_degree_of_parallelism()
    {
        const int rows = 64, classes = 4000;
        var (x, t) = Batch(rows, classes, 5);
        float[] one = SlicedStored(x, t, rows, classes, [1000, 3000], Reduction.Mean, [], 0.1, 1e-4, 30, out float loss1, out var p1, threads: 1);
        foreach (int threads in new[] { 2, -1 })
        {
            float[] many = SlicedStored(x, t, rows, classes, [1000, 3000], Reduction.Mean, [], 0.1, 1e-4, 30, out float loss, out var p, threads: threads);
            Assert.Equal(one, many);
            Assert.Equal(loss1, loss);
            Assert.Equal(p1, p);
        }
        var g1 = new float[x.Length];
        var g2 = new float[x.Length];
        var lp = new float[rows];
        var part1 = new VocabularyPartial[rows];
        var part2 = new VocabularyPartial[rows];
        float[] alpha = [.. Enumerable.Range(0, rows).Select(r => r * 0.1f)];
        TokenLogProbabilities.Forward<float>(x, t, lp, part1, g1, classes, lp.ToArray(), maxDegreeOfParallelism: 1);
        TokenLogProbabilities.Backward<float>(x, part1, alpha, alpha, g1, classes, maxDegreeOfParallelism: 1);
        TokenLogProbabilities.Forward<float>(x, t, lp, part2, g2, classes, lp.ToArray(), maxDegreeOfParallelism: -1);
        TokenLogProbabilities.Backward<float>(x, part2, alpha, alpha, g2, classes, maxDegreeOfParallelism: -1);
        Assert.Equal(g1, g2);
    }

    [Fact]
    public void Misuse_is_refused_before_anything_is_written()
    {
        const int rows = 3, classes = 100;
        var (x, t) = Batch(rows, classes, 6);
        var plain = new VocabularyPartial[rows];
        var own = new VocabularyPartial[rows];
        var other = new VocabularyPartial[rows];
        var all = new VocabularyPartial[rows];
        var g = new float[x.Length];
        CrossEntropySlices.Forward<float>(x, t, plain, classes, 0, 40, classes);
        CrossEntropySlices.Forward<float>(x, t, own, g, classes, 0, 40, classes);
        CrossEntropySlices.Forward<float>(x.AsSpan(40), t, other, g.AsSpan(40), classes, 40, 60, classes);
        CrossEntropySlices.Combine(own, all);
        CrossEntropySlices.Combine(other, all);
        float[] before = [.. g];

        void Refused(Action call, string parameter, string? message = null)
        {
            var e = Assert.ThrowsAny<ArgumentException>(call);
            Assert.Equal(parameter, e.ParamName);
            if (message != null)
            {
                Assert.Contains(message, e.Message);
            }
            Assert.Equal(before, g);
        }

        // Partials of the plain forward, of another slice, the combined ones, another batch, another length.
        Refused(() => CrossEntropySlices.Backward<float>(x, plain, all, g, classes, 0, 40, classes), "slicePartials", "slicePartials[0] was not written by a forward that stored");
        Refused(() => CrossEntropySlices.Backward<float>(x, other, all, g, classes, 0, 40, classes), "slicePartials", "covers 60 columns");
        Refused(() => CrossEntropySlices.Backward<float>(x, all, all, g, classes, 0, 40, classes), "slicePartials");
        Refused(() => CrossEntropySlices.Backward<float>(x, own.AsSpan(0, 2), all, g, classes, 0, 40, classes), "slicePartials");
        var shuffled = new[] { own[1], own[0], own[2] };
        Refused(() => CrossEntropySlices.Backward<float>(x, shuffled, all, g, classes, 0, 40, classes), "slicePartials", "slicePartials[0] has target");
        Refused(() => TokenLogProbabilities.BackwardSlice<float>(x, plain, all, new float[rows], default, g, classes, 0, 40, classes), "slicePartials");

        // Sums left out: the loss with smoothing and the token entropies refuse them.
        Refused(() => CrossEntropySlices.Loss<float>(all, classes, labelSmoothing: 0.1), "partials", "label-smoothing sum");
        Refused(() => TokenLogProbabilities.FromPartials<float>(all, new float[rows], classes, new float[rows]), "partials", "entropy's moment");
        Refused(() => TokenLogProbabilities.BackwardSlice<float>(x, own, all, default, new float[rows], g, classes, 0, 40, classes), "partials", "entropy's moment");

        // In place with a soft-cap (the backward needs the logits), or with the entropy's term; partial overlaps.
        float[] buffer = [.. x];
        var e1 = Assert.Throws<ArgumentException>(() => CrossEntropySlices.Forward<float>(buffer, t, own, buffer, classes, 0, 40, classes, softCap: 5));
        Assert.Contains("gradient", e1.Message);
        Assert.Equal(x, buffer);
        Assert.Throws<ArgumentException>(() => CrossEntropySlices.Forward<float>(buffer, t, own, buffer.AsSpan(1), classes, 0, 40, classes));
        Assert.Equal(x, buffer);
        var tp = new VocabularyPartial[rows];
        TokenLogProbabilities.Forward<float>(buffer, t, new float[rows], tp, buffer, classes);
        float[] stored = [.. buffer];
        Assert.Throws<ArgumentException>(() => TokenLogProbabilities.Backward<float>(buffer, tp, default, new float[rows], buffer, classes));
        Assert.Equal(stored, buffer);
        Refused(() => TokenLogProbabilities.Backward<float>(x, plain, new float[rows], default, g, classes), "partials");
        Refused(() => CrossEntropySlices.Forward<float>(x, t, own, g.AsSpan(0, 50), classes, 0, 40, classes), "gradient");
    }

    [Fact]
    public void No_allocation()
    {
        const int rows = 8, classes = 1000;
        var (x, t) = Batch(rows, classes);
        var a = new VocabularyPartial[rows];
        var b = new VocabularyPartial[rows];
        var all = new VocabularyPartial[rows];
        var g = new float[x.Length];
        var lp = new float[rows];
        var h = new float[rows];
        long bytes = Allocations.Of(() =>
        {
            all.AsSpan().Clear();
            CrossEntropySlices.Forward<float>(x, t, a, g, classes, 0, 400, classes, softCap: 30);
            CrossEntropySlices.Forward<float>(x.AsSpan(400), t, b, g.AsSpan(400), classes, 400, 600, classes, softCap: 30);
            CrossEntropySlices.Combine(a, all);
            CrossEntropySlices.Combine(b, all);
            CrossEntropySlices.Loss<float>(all, classes, zLoss: 1e-4);
            CrossEntropySlices.Backward<float>(x, a, all, g, classes, 0, 400, classes, zLoss: 1e-4, softCap: 30);
            CrossEntropySlices.Backward<float>(x.AsSpan(400), b, all, g.AsSpan(400), classes, 400, 600, classes, zLoss: 1e-4, softCap: 30);
            TokenLogProbabilities.Forward<float>(x, t, lp, a, g, classes, h);
            TokenLogProbabilities.Backward<float>(x, a, lp, h, g, classes);
        });
        Assert.Equal(0, bytes);
    }

    /// <summary>The tensor forms of the storing functions give bitwise the span forms' results (column views, long targets).</summary>
    [Fact]
    public void Tensor_forms_equal_the_span_forms()
    {
        const int rows = 6, classes = 40, width = 16;
        var (x, t) = Batch(rows, classes, 12);
        long[] t64 = [.. t.Select(v => (long)v)];
        float[] alpha = [.. Enumerable.Range(0, rows).Select(r => 0.1f * r)], beta = [.. Enumerable.Range(0, rows).Select(r => -0.05f * r)];

        // Spans: two slices [0, 16) and [16, 40).
        var a = new VocabularyPartial[rows];
        var b = new VocabularyPartial[rows];
        var all = new VocabularyPartial[rows];
        var expected = new float[x.Length];
        CrossEntropySlices.Forward<float>(x, t, a, expected, classes, 0, width, classes, entropy: true, softCap: 5);
        CrossEntropySlices.Forward<float>(x.AsSpan(width), t, b, expected.AsSpan(width), classes, width, classes - width, classes, entropy: true, softCap: 5);
        CrossEntropySlices.Combine(a, all);
        CrossEntropySlices.Combine(b, all);
        CrossEntropySlices.Backward<float>(x, a, all, expected, classes, 0, width, classes, zLoss: 1e-3, softCap: 5);
        CrossEntropySlices.Backward<float>(x.AsSpan(width), b, all, expected.AsSpan(width), classes, width, classes - width, classes, zLoss: 1e-3, softCap: 5);

        // Tensors: column views of the whole logits and gradient.
        var whole = Tensor.Create(x, [rows, classes]);
        var gradient = Tensor.Create(new float[x.Length], [rows, classes]);
        ReadOnlyTensorSpan<float> Columns(int offset, int w) => whole.AsReadOnlyTensorSpan().Slice([NRange.All, new NRange(offset, offset + w)]);
        TensorSpan<float> GradientColumns(int offset, int w) => gradient.AsTensorSpan().Slice([NRange.All, new NRange(offset, offset + w)]);
        var ta = new VocabularyPartial[rows];
        var tb = new VocabularyPartial[rows];
        var tall = new VocabularyPartial[rows];
        CrossEntropySlices.Forward<float>(Columns(0, width), Tensor.Create(t, [rows]), ta, GradientColumns(0, width), classes, 0, entropy: true, softCap: 5);
        CrossEntropySlices.Forward<float>(Columns(width, classes - width), Tensor.Create(t64, [rows]), tb, GradientColumns(width, classes - width), classes, width,
            entropy: true, softCap: 5);
        Assert.Equal(a, ta);
        Assert.Equal(b, tb);
        CrossEntropySlices.Combine(ta, tall);
        CrossEntropySlices.Combine(tb, tall);
        CrossEntropySlices.Backward<float>(Columns(0, width), ta, tall, GradientColumns(0, width), classes, 0, zLoss: 1e-3, softCap: 5);
        CrossEntropySlices.Backward<float>(Columns(width, classes - width), tb, tall, GradientColumns(width, classes - width), classes, width, zLoss: 1e-3, softCap: 5);
        Assert.Equal(expected, gradient.ToArray());

        // Token slices from the same stored exps.
        CrossEntropySlices.Forward<float>(x, t, a, expected, classes, 0, width, classes, entropy: true, softCap: 5);
        TokenLogProbabilities.BackwardSlice<float>(x, a, all, alpha, beta, expected, classes, 0, width, classes, 5);
        CrossEntropySlices.Forward<float>(Columns(0, width), Tensor.Create(t, [rows]), ta, GradientColumns(0, width), classes, 0, entropy: true, softCap: 5);
        TokenLogProbabilities.BackwardSlice<float>(Columns(0, width), ta, tall, Tensor.Create(alpha, [rows]), Tensor.Create(beta, [rows]), GradientColumns(0, width),
            classes, 0, 5);
        Assert.Equal(expected, gradient.ToArray());

        // One-shot token log-probabilities, int and long targets.
        var lp = new float[rows];
        var h = new float[rows];
        var p = new VocabularyPartial[rows];
        var g = new float[x.Length];
        TokenLogProbabilities.Forward<float>(x, t, lp, p, g, classes, h, softCap: 5);
        TokenLogProbabilities.Backward<float>(x, p, alpha, beta, g, classes, 5);
        foreach (bool wide in new[] { false, true })
        {
            var tlp = Tensor.Create(new float[rows], [rows]);
            var th = Tensor.Create(new float[rows], [rows]);
            var tg = Tensor.Create(new float[x.Length], [rows, classes]);
            var tp = new VocabularyPartial[rows];
            if (wide)
            {
                TokenLogProbabilities.Forward<float>(whole, Tensor.Create(t64, [rows]), tlp, tp, tg, th, softCap: 5);
            }
            else
            {
                TokenLogProbabilities.Forward<float>(whole, Tensor.Create(t, [rows]), tlp, tp, tg, th, softCap: 5);
            }
            TokenLogProbabilities.Backward<float>(whole, tp, Tensor.Create(alpha, [rows]), Tensor.Create(beta, [rows]), tg, softCap: 5);
            Assert.Equal(lp, tlp.ToArray());
            Assert.Equal(h, th.ToArray());
            Assert.Equal(g, tg.ToArray());
        }
    }

    /// <summary>
    /// Short slices over more rows than one group (the common path takes a group's rows in one pass, each row's max taken
    /// during the previous row's exps): a NaN row, a +∞ row, a row with −∞ logits and ignored rows (first, last, in a run)
    /// leave every other row's partials and gradient bitwise as in a clean batch, and the clean batch equals the plain form.
    /// </summary>
    [Theory]
    [InlineData(70, 256, 64)]
    [InlineData(40, 100, 25)]
    [InlineData(33, 48, 16)]
    public void Special_rows_in_short_slices_stay_in_their_row(int rows, int classes, int width)
    {
        var (x, t) = Batch(rows, classes, seed: rows, spread: 10);
        int[] special = [0, 1, 31, 32, rows - 1];
        var poisoned = (float[])x.Clone();
        int[] poisonedTargets = (int[])t.Clone();
        poisoned[(1 * classes) + 3] = float.NaN;
        poisoned[(31 * classes) + width + 1] = float.PositiveInfinity;
        poisoned[(32 * classes) + 2] = float.NegativeInfinity;
        poisonedTargets[0] = -100;
        poisonedTargets[rows - 1] = -100;
        int[] widths = [.. Enumerable.Repeat(width, classes / width)];
        float[] clean = SlicedStored(x, t, rows, classes, widths, Reduction.Sum, [], 0, 0, double.PositiveInfinity, out _, out var cleanPartials);
        float[] other = SlicedStored(poisoned, poisonedTargets, rows, classes, widths, Reduction.Sum, [], 0, 0, double.PositiveInfinity, out _, out var otherPartials);
        for (int r = 0; r < rows; r++)
        {
            if (special.Contains(r) || t[r] == -100)
            {
                continue;
            }
            Assert.Equal(cleanPartials[r], otherPartials[r]);
            Assert.True(clean.AsSpan(r * classes, classes).SequenceEqual(other.AsSpan(r * classes, classes)), $"row {r}");
        }
        Assert.True(double.IsNaN(otherPartials[1].Max), "NaN row");
        Assert.True(other.AsSpan(1 * classes, classes).ToArray().All(float.IsNaN), "NaN row's gradient");
        Assert.True(otherPartials[0].Ignored && otherPartials[rows - 1].Ignored);
        Assert.True(other.AsSpan(0, classes).ToArray().All(v => v == 0), "ignored row's gradient");
        var plain = new float[x.Length];
        CrossEntropy.Forward<float>(x, t, classes, plain, Reduction.Sum);
        Close<float>(plain, clean, rows, classes, 2e-5, $"{rows}x{classes} in slices of {width}");
        var maskedPlain = new float[x.Length];
        var noNaN = (float[])poisoned.Clone();
        noNaN[(1 * classes) + 3] = 0;
        noNaN[(31 * classes) + width + 1] = 0;
        float[] maskedStored = SlicedStored(noNaN, t, rows, classes, widths, Reduction.Sum, [], 0, 0, double.PositiveInfinity, out _, out _);
        CrossEntropy.Forward<float>(noNaN, t, classes, maskedPlain, Reduction.Sum);
        Close<float>(maskedPlain, maskedStored, rows, classes, 2e-5, "−∞ logits");
        Assert.Equal(0f, maskedStored[(32 * classes) + 2]);
    }

    /// <summary>The max pass finds NaN through a sum of the logits, re-checked exactly when that sum is NaN: a NaN anywhere
    /// makes the row's max NaN; +∞ beside −∞, or an overflowing sum beside −∞, does not.</summary>
    [Theory]
    [InlineData(200)]
    [InlineData(64)]
    [InlineData(1000)]
    public void The_max_pass_finds_NaN_exactly(int width)
    {
        foreach (int at in new[] { 0, 5, width / 2, width - 1 })
        {
            float[] x = [.. Enumerable.Range(0, width).Select(i => (float)Math.Sin(i))];
            x[at] = float.NaN;
            var p = new VocabularyPartial[1];
            CrossEntropySlices.Forward<float>(x, [0], p, new float[width], width, 0, width);
            Assert.True(double.IsNaN(p[0].Max), $"NaN at {at} of {width}");
        }
        float[] infinities = [.. Enumerable.Range(0, width).Select(i => i % 3 == 0 ? float.NegativeInfinity : (float)Math.Cos(i))];
        infinities[width / 2] = float.PositiveInfinity;
        var q = new VocabularyPartial[1];
        CrossEntropySlices.Forward<float>(infinities, [1], q, new float[width], width, 0, width);
        Assert.Equal(double.PositiveInfinity, q[0].Max);
        float[] huge = [.. Enumerable.Range(0, width).Select(i => i == 1 ? float.NegativeInfinity : 3e38f)];
        CrossEntropySlices.Forward<float>(huge, [0], q, new float[width], width, 0, width);
        Assert.Equal(3e38f, (float)q[0].Max);
        Assert.Equal(width - 1, q[0].SumOfExp);
    }
}
