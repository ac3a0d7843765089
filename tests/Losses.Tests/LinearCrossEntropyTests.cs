using System.Numerics;
using System.Text.Json;

namespace Losses.Tests;

/// <summary>
/// LinearCrossEntropy against PyTorch (F.linear + F.cross_entropy with autograd), against materialising the logits,
/// finite differences, independence of the buffer size and thread count, bad input and allocation.
/// </summary>
public class LinearCrossEntropyTests
{
    private const string File = "linear_cross_entropy.json";

    public static TheoryData<string> Cases => Reference.Names(File);

    /// <summary>The outputs of one call.</summary>
    private sealed record Result<T>(T Loss, T[] Losses, T[] HiddenGradient, T[] WeightGradient, T[] BiasGradient);

    private static Result<T> Run<T>(T[] h, T[] w, int[] t, int hidden, int vocab, T[] bias, Reduction reduction, T[] weight,
        T smoothing, int budget = LinearCrossEntropy.DefaultMaxBufferElements, int threads = 1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var dh = new T[h.Length];
        var dw = new T[w.Length];
        var db = new T[bias.Length == 0 ? 0 : vocab];
        var losses = new T[t.Length];
        T loss = LinearCrossEntropy.Forward<T>(h, w, t, hidden, vocab, bias, dh, dw, db, reduction, losses, weight,
            labelSmoothing: double.CreateTruncating(smoothing), maxBufferElements: budget, maxDegreeOfParallelism: threads);
        return new Result<T>(loss, losses, dh, dw, db);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_pytorch(string name)
    {
        var c = Reference.Case(File, name);
        if (c.Text("dtype") == "float32")
        {
            Check<float>(c, 3e-5);
        }
        else
        {
            Check<double>(c, 1e-12);
        }
    }

    private static void Check<T>(JsonElement c, double tolerance)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T[] h = c.Values<T>("hidden");
        T[] w = c.Values<T>("linearWeight");
        int[] t = c.Ints("targets");
        int hidden = c.Int("hiddenSize");
        int vocab = c.Int("classCount");
        T[] bias = c.Optional<T>("linearBias");
        T[] weight = c.Optional<T>("weight");
        T smoothing = T.CreateTruncating(c.Scalar("labelSmoothing"));
        foreach (var reduction in new[] { Reduction.None, Reduction.Sum, Reduction.Mean })
        {
            string key = reduction.ToString();
            var r = Run(h, w, t, hidden, vocab, bias, reduction, weight, smoothing);
            string what = $"{c.Text("name")} {key}";
            if (reduction == Reduction.None)
            {
                Near(c, "lossNone", r.Losses, tolerance, what + " losses");
            }
            else
            {
                double expected = c.Scalar("loss" + key);
                Approx.Equal(expected, double.CreateTruncating(r.Loss), tolerance, tolerance * Math.Max(1, Math.Abs(expected)), what);
            }
            Near(c, "hiddenGrad" + key, r.HiddenGradient, tolerance, what + " ∂H");
            Near(c, "weightGrad" + key, r.WeightGradient, tolerance, what + " ∂W");
            if (bias.Length > 0)
            {
                Near(c, "biasGrad" + key, r.BiasGradient, tolerance, what + " ∂b");
            }

            // Small chunks (one token, or 16 for vocabularies of at most 128) and two threads give the same bits.
            var small = Run(h, w, t, hidden, vocab, bias, reduction, weight, smoothing, budget: (vocab <= 128 ? 16 : 1) * (vocab + 1), threads: 2);
            Same(r, small, what + " one token per chunk");
        }
    }

    internal static void Near<T>(JsonElement c, string property, T[] actual, double tolerance, string what)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double[] expected = c.Doubles(property);
        double scale = Math.Max(1, expected.Where(double.IsFinite).Select(Math.Abs).DefaultIfEmpty(0).Max());
        Approx.Equal<T>(c.Values<T>(property), actual, tolerance, tolerance * scale, what);
    }

    private static void Same<T>(Result<T> expected, Result<T> actual, string what)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Assert.True(expected.Loss.Equals(actual.Loss), $"{what}: loss {actual.Loss} vs {expected.Loss}");
        Assert.True(expected.Losses.AsSpan().SequenceEqual(actual.Losses), what + ": losses");
        Assert.True(expected.HiddenGradient.AsSpan().SequenceEqual(actual.HiddenGradient), what + ": ∂H");
        Assert.True(expected.WeightGradient.AsSpan().SequenceEqual(actual.WeightGradient), what + ": ∂W");
        Assert.True(expected.BiasGradient.AsSpan().SequenceEqual(actual.BiasGradient), what + ": ∂b");
    }

    private static T[] Random<T>(Random random, int length, double scale)
        where T : IFloatingPointIeee754<T> =>
        [.. Enumerable.Range(0, length).Select(_ => T.CreateTruncating(((random.NextDouble() * 2) - 1) * scale))];

    [Theory]
    [InlineData(37, 16, 300, Reduction.Mean)]
    [InlineData(50, 9, 129, Reduction.Sum)]
    [InlineData(40, 24, 100, Reduction.None)]
    [InlineData(3, 1, 1000, Reduction.Mean)]
    [InlineData(70, 64, 300, Reduction.Mean)] // chunks of 70 tokens are large enough to run the backward products side by side
    public void Buffer_size_and_thread_count_do_not_change_any_bit(int tokens, int hidden, int vocab, Reduction reduction)
    {
        var random = new Random(tokens + vocab);
        float[] h = Random<float>(random, tokens * hidden, 2);
        float[] w = Random<float>(random, vocab * hidden, 1);
        float[] bias = Random<float>(random, vocab, 1);
        float[] weight = Random<float>(random, vocab, 0.5).Select(v => v + 1f).ToArray();
        int[] t = [.. Enumerable.Range(0, tokens).Select(i => i % 7 == 3 ? -100 : random.Next(vocab))];
        var reference = Run(h, w, t, hidden, vocab, bias, reduction, weight, 0.05f);
        // Vocabularies of at most 128 classes keep the bits only with chunks of 16 tokens or more (see the remarks).
        int smallest = vocab <= 128 ? 16 : 1;
        foreach (int rows in new[] { smallest, 17, 33, tokens })
        {
            foreach (int threads in new[] { 1, 2, -1 })
            {
                var other = Run(h, w, t, hidden, vocab, bias, reduction, weight, 0.05f, budget: rows * (vocab + 1), threads: threads);
                Same(reference, other, $"{rows} rows per chunk, {threads} threads");
            }
        }
    }

    [Theory]
    [InlineData(Reduction.Sum)]
    [InlineData(Reduction.Mean)]
    public void Equals_materialising_the_logits(Reduction reduction)
    {
        int tokens = 21, hidden = 13, vocab = 301;
        var random = new Random(5);
        double[] h = Random<double>(random, tokens * hidden, 2);
        double[] w = Random<double>(random, vocab * hidden, 1);
        double[] bias = Random<double>(random, vocab, 1);
        int[] t = [.. Enumerable.Range(0, tokens).Select(i => i == 4 ? -100 : random.Next(vocab))];
        var fused = Run(h, w, t, hidden, vocab, bias, reduction, [], 0.0, budget: 5 * (vocab + 1));

        // The same recipe with the whole [tokens × vocab] logits: bias, then + H·Wᵀ; cross-entropy (Sum) with its gradient
        // in place; ∂H = G·W, ∂W = Gᵀ·H, ∂b = column sums; for Mean, all three scaled by 1/D.
        var logits = new double[tokens * vocab];
        for (int i = 0; i < tokens; i++)
        {
            bias.CopyTo(logits, i * vocab);
        }
        MatrixMultiply.MultiplyTransposedB<double>(h, w, logits, tokens, vocab, hidden, accumulate: true);
        var losses = new double[tokens];
        double loss = CrossEntropy.Forward<double>(logits, t, vocab, logits, Reduction.None, losses);
        var dh = new double[h.Length];
        var dw = new double[w.Length];
        var db = new double[vocab];
        MatrixMultiply.Multiply<double>(logits, w, dh, tokens, hidden, vocab);
        MatrixMultiply.MultiplyTransposedA<double>(logits, h, dw, vocab, hidden, tokens);
        for (int i = 0; i < tokens; i++)
        {
            for (int j = 0; j < vocab; j++)
            {
                db[j] = i == 0 ? logits[j] : db[j] + logits[(i * vocab) + j];
            }
        }
        if (reduction == Reduction.Mean)
        {
            double divisor = t.Count(v => v != -100);
            double scale = 1.0 / divisor;
            loss /= divisor;
            foreach (var g in new[] { dh, dw, db })
            {
                for (int i = 0; i < g.Length; i++)
                {
                    g[i] *= scale;
                }
            }
        }
        Assert.Equal(loss, fused.Loss, 14);
        Assert.Equal(dh, fused.HiddenGradient);
        Assert.Equal(dw, fused.WeightGradient);
        Assert.Equal(db, fused.BiasGradient);
    }

    [Fact]
    public void Gradients_equal_finite_differences()
    {
        int tokens = 4, hidden = 3, vocab = 11;
        var random = new Random(9);
        double[] h = Random<double>(random, tokens * hidden, 1.5);
        double[] w = Random<double>(random, vocab * hidden, 1);
        double[] bias = Random<double>(random, vocab, 1);
        double[] weight = Random<double>(random, vocab, 0.5).Select(v => v + 1).ToArray();
        int[] t = [1, -100, 10, 4];
        var r = Run(h, w, t, hidden, vocab, bias, Reduction.Mean, weight, 0.1);
        double Loss() => LinearCrossEntropy.Forward<double>(h, w, t, hidden, vocab, bias, weight: weight, labelSmoothing: 0.1);
        FiniteDifferences((h, r.HiddenGradient, "∂H"), (w, r.WeightGradient, "∂W"), (bias, r.BiasGradient, "∂b"), Loss, "");
    }

    /// <summary>Each gradient against central differences of <paramref name="objective"/>, perturbing its input in place.</summary>
    internal static void FiniteDifferences((double[] X, double[] G, string What) h, (double[] X, double[] G, string What) w,
        (double[] X, double[] G, string What) b, Func<double> objective, string what)
    {
        foreach ((double[] x, double[] g, string name) in new[] { h, w, b })
        {
            for (int i = 0; i < x.Length; i++)
            {
                double saved = x[i];
                const double step = 1e-6;
                x[i] = saved + step;
                double up = objective();
                x[i] = saved - step;
                double down = objective();
                x[i] = saved;
                Approx.Equal((up - down) / (2 * step), g[i], 1e-6, 1e-8, $"{what}{name}[{i}]");
            }
        }
    }

    [Fact]
    public void Loss_only_equals_loss_with_gradients()
    {
        var random = new Random(3);
        float[] h = Random<float>(random, 10 * 8, 1);
        float[] w = Random<float>(random, 150 * 8, 1);
        int[] t = [.. Enumerable.Range(0, 10).Select(_ => random.Next(150))];
        float withGradients = Run(h, w, t, 8, 150, [], Reduction.Mean, [], 0f).Loss;
        Assert.Equal(withGradients, LinearCrossEntropy.Forward<float>(h, w, t, 8, 150));
    }

    [Fact]
    public void No_tokens_gives_nan_mean_and_zero_gradients()
    {
        float[] dw = [1, 2];
        float[] db = [3, 4];
        Assert.True(float.IsNaN(LinearCrossEntropy.Forward<float>([], [1, 2], Array.Empty<int>(), 1, 2, linearWeightGradient: dw, linearBiasGradient: db)));
        Assert.Equal([0f, 0], dw);
        Assert.Equal([0f, 0], db);
        Assert.Equal(0f, LinearCrossEntropy.Forward<float>([], [1, 2], Array.Empty<int>(), 1, 2, reduction: Reduction.Sum));
    }

    [Fact]
    public void Repeated_single_thread_call_allocates_nothing()
    {
        var random = new Random(4);
        float[] h = Random<float>(random, 40 * 16, 1);
        float[] w = Random<float>(random, 500 * 16, 1);
        float[] b = Random<float>(random, 500, 1);
        int[] t = [.. Enumerable.Range(0, 40).Select(_ => random.Next(500))];
        var dh = new float[h.Length];
        var dw = new float[w.Length];
        var db = new float[500];
        // The logits buffer is shared by the fused heads and taken exclusively: a call overlapping one of another test
        // allocates its own, so the least of a few measurements is the one that says whether a call allocates.
        Assert.Equal(0, Enumerable.Range(0, 3).Min(_ => Allocations.Of(() => LinearCrossEntropy.Forward<float>(h, w, t, 16, 500, b, dh, dw, db, maxBufferElements: 7 * 501))));
    }

    [Fact]
    public void First_call_allocates_at_most_the_buffer_and_the_packing_scratch()
    {
        int tokens = 64, hidden = 32, vocab = 3001, budget = (20 * 3002) + 7;
        var random = new Random(6);
        float[] h = Random<float>(random, tokens * hidden, 1);
        float[] w = Random<float>(random, vocab * hidden, 1);
        int[] t = [.. Enumerable.Range(0, tokens).Select(_ => random.Next(vocab))];
        var dh = new float[h.Length];
        var dw = new float[w.Length];
        long allocated = -1;

        // A fresh thread has no packing buffer yet.
        var thread = new Thread(() =>
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            LinearCrossEntropy.Forward<float>(h, w, t, hidden, vocab, hiddenGradient: dh, linearWeightGradient: dw, maxBufferElements: budget);
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        });
        thread.Start();
        thread.Join();
        long limit = (budget * sizeof(float)) + (Losses.Kernels.MatMul.Gemm<float>.ScratchLength * sizeof(float)) + 4096;
        Assert.InRange(allocated, 0, limit);
    }

    [Fact]
    public void Bad_input_throws_naming_the_argument_and_writes_nothing()
    {
        float[] h = new float[6];
        float[] w = new float[12];
        int[] t = [0, 3];
        float[] dh = [9, 9, 9, 9, 9, 9];
        float[] dw = Enumerable.Repeat(9f, 12).ToArray();

        string Name(Action call) => Assert.ThrowsAny<ArgumentException>(call).ParamName!;

        Assert.Equal("hidden", Name(() => LinearCrossEntropy.Forward<float>(h.AsSpan(1), w, t, 3, 4, hiddenGradient: dh, linearWeightGradient: dw)));
        Assert.Equal("linearWeight", Name(() => LinearCrossEntropy.Forward<float>(h, w, t, 3, 5, hiddenGradient: dh, linearWeightGradient: dw)));
        Assert.Equal("hidden", Name(() => LinearCrossEntropy.Forward<float>(h, w, [0, 1, 2], 3, 4, hiddenGradient: dh)));
        Assert.Equal("linearBias", Name(() => LinearCrossEntropy.Forward<float>(h, w, t, 3, 4, new float[3], dh, dw)));
        Assert.Equal("hiddenGradient", Name(() => LinearCrossEntropy.Forward<float>(h, w, t, 3, 4, hiddenGradient: new float[5])));
        Assert.Equal("linearWeightGradient", Name(() => LinearCrossEntropy.Forward<float>(h, w, t, 3, 4, linearWeightGradient: new float[13])));
        Assert.Equal("linearBiasGradient", Name(() => LinearCrossEntropy.Forward<float>(h, w, t, 3, 4, linearBiasGradient: new float[3])));
        Assert.Equal("targets", Name(() => LinearCrossEntropy.Forward<float>(h, w, [0, 4], 3, 4, hiddenGradient: dh, linearWeightGradient: dw)));
        Assert.Equal("maxBufferElements", Name(() => LinearCrossEntropy.Forward<float>(h, w, t, 3, 4, hiddenGradient: dh, maxBufferElements: 4)));
        Assert.Equal("hiddenSize", Name(() => LinearCrossEntropy.Forward<float>(h, w, t, 0, 4)));
        Assert.Equal("weight", Name(() => LinearCrossEntropy.Forward<float>(h, w, t, 3, 4, hiddenGradient: dh, weight: new float[3])));
        Assert.Equal("losses", Name(() => LinearCrossEntropy.Forward<float>(h, w, t, 3, 4, hiddenGradient: dh, reduction: Reduction.None, losses: new float[1])));
        Assert.Equal("hiddenGradient", Name(() => LinearCrossEntropy.Forward<float>(h, w, t, 3, 4, hiddenGradient: h)));
        Assert.Equal("linearWeightGradient", Name(() => LinearCrossEntropy.Forward<float>(h, w, t, 3, 4, hiddenGradient: dh, linearWeightGradient: w)));
        Assert.Equal("labelSmoothing", Name(() => LinearCrossEntropy.Forward<float>(h, w, t, 3, 4, hiddenGradient: dh, labelSmoothing: 2f)));
        Assert.All(dh, v => Assert.Equal(9f, v));
        Assert.All(dw, v => Assert.Equal(9f, v));
    }
}
