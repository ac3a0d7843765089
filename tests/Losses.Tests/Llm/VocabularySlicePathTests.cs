namespace Losses.Tests;

/// <summary>
/// The vocabulary-slice op's paths agree: exps stored in the gradient and rescaled vs recomputed (in place vs apart, to
/// the bit), 16-bit logits widened in the gradient row vs float logits (to the bit), the one-pass statistics (running
/// maxima that rise late, masked heads, NaN) vs a double reference.
/// </summary>
public class VocabularySlicePathTests
{
    private static float[] Logits(int rows, int classes, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, rows * classes).Select(_ => (float)((random.NextDouble() * 20) - 10))];
    }

    private static long[] Targets(int rows, int classes, int seed)
    {
        var random = new Random(seed + 1);
        return [.. Enumerable.Range(0, rows).Select(_ => (long)random.Next(classes))];
    }

    [Theory]
    [InlineData(300, double.PositiveInfinity, 0)]
    [InlineData(300, 30, 0)]
    [InlineData(5000, 30, 0.1)]
    [InlineData(17, double.PositiveInfinity, 0.2)]
    public void Cross_entropy_in_place_equals_apart_to_the_bit(int classes, double softCap, double labelSmoothing)
    {
        float[] x = Logits(5, classes, classes);
        long[] t = Targets(5, classes, classes);
        var g = new float[x.Length];
        float apart = CrossEntropy.Forward<float>(x, t, classes, g, labelSmoothing: labelSmoothing, zLoss: 1e-4, softCap: softCap);
        float inPlace = CrossEntropy.Forward<float>(x, t, classes, x, labelSmoothing: labelSmoothing, zLoss: 1e-4, softCap: softCap);
        Assert.Equal(apart, inPlace);
        Assert.Equal(g, x);
    }

    [Theory]
    [InlineData(300, double.PositiveInfinity)]
    [InlineData(4099, 30)]
    public void Token_gradient_in_place_equals_apart_to_the_bit(int classes, double softCap)
    {
        float[] x = Logits(4, classes, 3);
        int[] t = [.. Targets(4, classes, 3).Select(v => (int)v)];
        float[] alpha = [0.5f, -1f, 0f, 2f];
        float[] beta = [0.25f, 0f, -0.5f, 1f];
        var g = new float[x.Length];
        TokenLogProbabilities.Backward<float>(x, t, alpha, beta, g, classes, softCap: softCap);
        TokenLogProbabilities.Backward<float>(x, t, alpha, beta, x, classes, softCap: softCap);
        Assert.Equal(g, x);
    }

    [Theory]
    [InlineData(1000, double.PositiveInfinity)]
    [InlineData(32000, 30)]
    public void Sixteen_bit_logits_equal_their_widened_floats_to_the_bit(int classes, double softCap)
    {
        float[] x = Logits(3, classes, 7);
        long[] t = Targets(3, classes, 7);
        Half[] half = [.. x.Select(v => (Half)v)];
        BFloat16[] bf16 = [.. x.Select(v => (BFloat16)v)];
        var g16 = new float[x.Length];
        var g32 = new float[x.Length];
        var l16 = new float[3];
        var l32 = new float[3];

        float loss16 = CrossEntropy.Forward(half, t, classes, g16, Reduction.None, l16, zLoss: 1e-4, softCap: softCap);
        float loss32 = CrossEntropy.Forward<float>([.. half.Select(v => (float)v)], t, classes, g32, Reduction.None, l32, zLoss: 1e-4, softCap: softCap);
        Assert.Equal(loss32, loss16);
        Assert.Equal(l32, l16);
        Assert.Equal(g32, g16);

        loss16 = CrossEntropy.Forward(bf16, t, classes, g16, labelSmoothing: 0.1, softCap: softCap);
        loss32 = CrossEntropy.Forward<float>([.. bf16.Select(v => (float)v)], t, classes, g32, labelSmoothing: 0.1, softCap: softCap);
        Assert.Equal(loss32, loss16);
        Assert.Equal(g32, g16);
    }

    /// <summary>
    /// Rows whose maximum keeps rising after the first 2048 columns (a ramp), whose head is masked (−∞ over more than
    /// 2048 columns, so lanes rise from the floor), or that hold one large logit at the very end: the one-pass
    /// statistics give the loss with smoothing and the entropy of a double computation.
    /// </summary>
    [Theory]
    [InlineData("ramp")]
    [InlineData("masked-head")]
    [InlineData("late-peak")]
    public void One_pass_statistics_match_a_double_reference(string shape)
    {
        const int classes = 9001;
        var random = new Random(11);
        var x = new float[classes];
        for (int j = 0; j < classes; j++)
        {
            x[j] = shape switch
            {
                "ramp" => (j * 0.01f) + (float)random.NextDouble(),
                "masked-head" => j < 3000 ? float.NegativeInfinity : (float)((random.NextDouble() * 20) - 10),
                _ => j == classes - 1 ? 60f : (float)((random.NextDouble() * 20) - 10),
            };
        }
        int target = 5000;
        double max = x.Max();
        double sum = x.Sum(v => Math.Exp(v - max));
        double logZ = max + Math.Log(sum);
        double entropy = logZ - (x.Where(float.IsFinite).Sum(v => Math.Exp(v - max) * v) / sum);
        double smoothing = x.Sum(v => logZ - v) / classes; // +∞ when any class is masked, as PyTorch

        var partials = new VocabularyPartial[1];
        CrossEntropySlices.Forward<float>(x, [target], partials, classes, 0, classes);
        Approx.Equal(logZ - x[target], CrossEntropySlices.Loss<float>(partials, classes), 1e-6, 1e-6, "loss");
        float smoothed = CrossEntropySlices.Loss<float>(partials, classes, labelSmoothing: 0.1);
        if (double.IsInfinity(smoothing))
        {
            Assert.Equal(float.PositiveInfinity, smoothed);
        }
        else
        {
            Approx.Equal((0.9 * (logZ - x[target])) + (0.1 * smoothing), smoothed, 1e-6, 1e-6, "smoothed loss");
        }
        var lp = new float[1];
        var h = new float[1];
        TokenLogProbabilities.Forward<float>(x, [target], lp, classes, h);
        Approx.Equal(x[target] - logZ, lp[0], 1e-6, 1e-6, "log-probability");
        Approx.Equal(entropy, h[0], 1e-5, 1e-6, "entropy");
    }

    [Theory]
    [InlineData(7)]
    [InlineData(300)]
    public void An_infinite_class_weight_without_smoothing_gives_the_one_shot_gradient(int classes)
    {
        // Without smoothing the weighted term −offset·w is absent (offset 0): an infinite weight of a class that is not
        // the target must not turn 0·∞ into NaN in that class's gradient (the one-shot int32 path skips the term too).
        var random = new Random(11);
        float[] x = [.. Enumerable.Range(0, 2 * classes).Select(_ => (float)(random.NextDouble() * 4 - 2))];
        float[] weight = [.. Enumerable.Repeat(1f, classes)];
        weight[1] = float.PositiveInfinity;
        float[] sliced = new float[x.Length], oneShot = new float[x.Length];
        float a = CrossEntropy.Forward<float>(x, [0L, 2L], classes, sliced, weight: weight);
        float b = CrossEntropy.Forward<float>(x, [0, 2], classes, oneShot, weight: weight);
        Assert.Equal(b, a, 2e-6f);
        for (int i = 0; i < x.Length; i++)
        {
            Assert.True(float.IsFinite(sliced[i]), $"gradient[{i}] = {sliced[i]}");
            Assert.Equal(oneShot[i], sliced[i], 1e-6f);
        }
    }

    [Fact]
    public void A_late_NaN_makes_the_row_NaN()
    {
        float[] x = Logits(1, 6000, 5);
        x[5999] = float.NaN;
        var lp = new float[1];
        var h = new float[1];
        TokenLogProbabilities.Forward<float>(x, [3], lp, 6000, h);
        Assert.True(float.IsNaN(lp[0]) && float.IsNaN(h[0]));
        Assert.True(float.IsNaN(CrossEntropy.Forward<float>(x, [3L], 6000)));
        var g = new float[x.Length];
        Assert.True(float.IsNaN(CrossEntropy.Forward<float>(x, [3L], 6000, g)));
        Assert.True(float.IsNaN(g[0]));
    }
}
