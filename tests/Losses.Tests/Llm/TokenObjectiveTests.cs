using System.Numerics;
using System.Numerics.Tensors;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using CeBatch = Losses.Tests.CrossEntropyProperties.Batch;

namespace Losses.Tests;

/// <summary>
/// <see cref="TokenLogProbabilities.ForwardBackward{T, TObjective}(ReadOnlySpan{T}, ReadOnlySpan{int}, Span{T}, Span{T}, int, TObjective, Span{T}, int, double, int)"/>:
/// bitwise the two-call storing form given the same upstream gradients (every path: the common one, a soft-cap, rows
/// narrower than a vector, masked logits, ignored rows, long targets, double), the objective called once per counted row
/// with that row's figures, any thread count, a PPO objective against finite differences, misuse refused before writing,
/// no allocation.
/// </summary>
public class TokenObjectiveTests
{
    /// <summary>Upstream gradients fixed per row (what the two-call form's backward is given).</summary>
    private readonly struct Given<T>(T[] alpha, T[] beta) : ITokenObjective<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public void Gradients(int row, T logProbability, T entropy, out T logProbabilityGradient, out T entropyGradient)
        {
            logProbabilityGradient = alpha[row];
            entropyGradient = beta[row];
        }
    }

    /// <summary>Records the figures each row is given, and how often (rows are apart: safe on several threads).</summary>
    private readonly struct Recorder(float[] seenLogProbability, float[] seenEntropy, int[] calls) : ITokenObjective<float>
    {
        public void Gradients(int row, float logProbability, float entropy, out float logProbabilityGradient, out float entropyGradient)
        {
            seenLogProbability[row] = logProbability;
            seenEntropy[row] = entropy;
            Interlocked.Increment(ref calls[row]);
            logProbabilityGradient = 1;
            entropyGradient = -0.5f;
        }
    }

    /// <summary>PPO's clipped surrogate with an entropy bonus, mean over N tokens (the README's objective, in double).</summary>
    private readonly struct Ppo(double[] oldLogProbabilities, double[] advantages, double clip, double entropyCoefficient) : ITokenObjective<double>
    {
        public void Gradients(int row, double logProbability, double entropy, out double logProbabilityGradient, out double entropyGradient)
        {
            int n = advantages.Length;
            double ratio = Math.Exp(logProbability - oldLogProbabilities[row]), a = advantages[row];
            bool clipped = a >= 0 ? ratio > 1 + clip : ratio < 1 - clip;
            logProbabilityGradient = clipped ? 0 : -ratio * a / n;
            entropyGradient = -entropyCoefficient / n;
        }

        /// <summary>L = −(1/N)·Σ min(r·A, clip(r, 1 − ε, 1 + ε)·A) − c·Σ H / N.</summary>
        public double Loss(ReadOnlySpan<double> logProbabilities, ReadOnlySpan<double> entropies)
        {
            double total = 0;
            for (int i = 0; i < advantages.Length; i++)
            {
                double r = Math.Exp(logProbabilities[i] - oldLogProbabilities[i]);
                total -= Math.Min(r * advantages[i], Math.Clamp(r, 1 - clip, 1 + clip) * advantages[i]) + (entropyCoefficient * entropies[i]);
            }
            return total / advantages.Length;
        }
    }

    private static (T[] X, int[] Targets, T[] Alpha, T[] Beta) Batch<T>(int rows, int classes, int seed)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(seed);
        T[] x = [.. Enumerable.Range(0, rows * classes).Select(_ => T.CreateTruncating((random.NextDouble() - 0.5) * 30))];
        for (int r = 2; r < rows; r += 5)
        {
            x[(r * classes) + random.Next(classes)] = T.NegativeInfinity;   // a masked class now and then
        }
        int[] t = [.. Enumerable.Range(0, rows).Select(r => r % 7 == 4 ? -100 : random.Next(classes))];
        T[] alpha = [.. Enumerable.Range(0, rows).Select(_ => T.CreateTruncating(random.NextDouble() - 0.5))];
        T[] beta = [.. Enumerable.Range(0, rows).Select(r => r % 3 == 0 ? T.Zero : T.CreateTruncating(random.NextDouble() - 0.5))];
        return (x, t, alpha, beta);
    }

    private static void BitwiseAgainstTwoCalls<T>(int rows, int classes, double cap, bool entropyOut, int seed)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (x, t, alpha, beta) = Batch<T>(rows, classes, seed);
        var lp = new T[rows];
        var h = new T[rows];
        var g = new T[x.Length];
        var expectedLp = new T[rows];
        var expectedH = new T[rows];
        var expected = new T[x.Length];
        var partials = new VocabularyPartial[rows];
        TokenLogProbabilities.Forward<T>(x, t, expectedLp, partials, expected, classes, expectedH, softCap: cap);
        TokenLogProbabilities.Backward<T>(x, partials, alpha, beta, expected, classes, cap);
        TokenLogProbabilities.ForwardBackward(x, t, lp, g, classes, new Given<T>(alpha, beta), entropyOut ? h : default, softCap: cap);
        string what = $"{typeof(T).Name} {rows}x{classes} cap {cap}";
        Assert.True(expected.AsSpan().SequenceEqual(g), $"{what}: gradient differs from the two-call storing form");
        Assert.True(expectedLp.AsSpan().SequenceEqual(lp), $"{what}: log-probabilities differ");
        if (entropyOut)
        {
            Assert.True(expectedH.AsSpan().SequenceEqual(h), $"{what}: entropies differ");
        }
    }

    [Theory]
    [InlineData(37, 10, double.PositiveInfinity, true)]
    [InlineData(37, 10, 5.0, true)]
    [InlineData(9, 1000, double.PositiveInfinity, false)]
    [InlineData(9, 1000, 30.0, false)]
    [InlineData(40, 33, double.PositiveInfinity, true)]
    [InlineData(6, 3, double.PositiveInfinity, true)]
    [InlineData(6, 3, 2.0, true)]
    [InlineData(2, 4099, double.PositiveInfinity, true)]
    public void Equals_the_two_call_storing_form_bit_for_bit(int rows, int classes, double cap, bool entropyOut)
    {
        BitwiseAgainstTwoCalls<float>(rows, classes, cap, entropyOut, seed: rows + classes);
        BitwiseAgainstTwoCalls<double>(rows, classes, cap, entropyOut, seed: rows * classes);
    }

    /// <summary>A batch of the cross-entropy properties (masked logits, ignored rows), upstream gradients and a cap.</summary>
    public sealed record Case(CeBatch Batch, int Seed, double Cap)
    {
        public override string ToString() => $"{Batch} seed={Seed} cap={Cap}";
    }

    public static Arbitrary<Case> Cases() =>
        (from batch in CrossEntropyProperties.Batches().Generator
         from seed in Gen.Choose(0, int.MaxValue)
         from cap in Gen.Elements(double.PositiveInfinity, double.PositiveInfinity, 3.0, 30.0)
         select new Case(batch, seed, cap)).ToArbitrary();

    /// <summary>Any batch (any width: the common path, rows narrower than a vector, the capped general path), any upstream
    /// gradients (some β zero): the fused form is bitwise the two calls, float and double.</summary>
    [Property(Arbitrary = [typeof(TokenObjectiveTests)], MaxTest = 60)]
    public void Fused_is_the_two_calls_bit_for_bit(Case c)
    {
        Check<float>(c);
        Check<double>(c);

        static void Check<T>(Case c)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            var b = c.Batch;
            var random = new Random(c.Seed);
            T[] x = [.. b.Logits.Select(T.CreateTruncating)];
            T[] alpha = [.. Enumerable.Range(0, b.Rows).Select(_ => T.CreateTruncating((random.NextDouble() * 4) - 2))];
            T[] beta = [.. Enumerable.Range(0, b.Rows).Select(_ => random.Next(3) == 0 ? T.Zero : T.CreateTruncating((random.NextDouble() * 4) - 2))];
            var (lp, h, g) = (new T[b.Rows], new T[b.Rows], new T[x.Length]);
            var (expectedLp, expectedH, expected) = (new T[b.Rows], new T[b.Rows], new T[x.Length]);
            var partials = new VocabularyPartial[b.Rows];
            TokenLogProbabilities.Forward<T>(x, b.Targets, expectedLp, partials, expected, b.Classes, expectedH, softCap: c.Cap);
            TokenLogProbabilities.Backward<T>(x, partials, alpha, beta, expected, b.Classes, c.Cap);
            TokenLogProbabilities.ForwardBackward(x, b.Targets, lp, g, b.Classes, new Given<T>(alpha, beta), h, softCap: c.Cap);
            Assert.True(expected.AsSpan().SequenceEqual(g), $"{typeof(T).Name}: gradient");
            Assert.True(expectedLp.AsSpan().SequenceEqual(lp) && expectedH.AsSpan().SequenceEqual(h), $"{typeof(T).Name}: outputs");
        }
    }

    [Fact]
    public void Long_targets_and_the_tensor_form_give_the_same_bits()
    {
        const int rows = 21, classes = 50;
        var (x, t, alpha, beta) = Batch<float>(rows, classes, 3);
        long[] t64 = [.. t.Select(v => (long)v)];
        var (lp1, g1, h1) = (new float[rows], new float[x.Length], new float[rows]);
        var (lp2, g2, h2) = (new float[rows], new float[x.Length], new float[rows]);
        var (lp3, g3, h3) = (new float[rows], new float[x.Length], new float[rows]);
        TokenLogProbabilities.ForwardBackward<float, Given<float>>(x, t, lp1, g1, classes, new(alpha, beta), h1);
        TokenLogProbabilities.ForwardBackward<float, Given<float>>(x, t64, lp2, g2, classes, new(alpha, beta), h2);
        TokenLogProbabilities.ForwardBackward(new ReadOnlyTensorSpan<float>(x, [3, 7, classes]), new ReadOnlyTensorSpan<int>(t, [3, 7]),
            new TensorSpan<float>(lp3, [3, 7]), new TensorSpan<float>(g3, [3, 7, classes]), new Given<float>(alpha, beta), new TensorSpan<float>(h3, [3, 7]));
        Assert.True(g1.AsSpan().SequenceEqual(g2) && lp1.AsSpan().SequenceEqual(lp2) && h1.AsSpan().SequenceEqual(h2));
        Assert.True(g1.AsSpan().SequenceEqual(g3) && lp1.AsSpan().SequenceEqual(lp3) && h1.AsSpan().SequenceEqual(h3));
    }

    [Theory]
    [InlineData(70, 10)]
    [InlineData(5, 1000)]
    [InlineData(4, 3)]
    public void The_objective_sees_each_counted_row_once_with_its_figures(int rows, int classes)
    {
        var (x, t, _, _) = Batch<float>(rows, classes, 11);
        var (seenLp, seenH, calls) = (new float[rows], new float[rows], new int[rows]);
        var (lp, h, g) = (new float[rows], new float[rows], new float[x.Length]);
        TokenLogProbabilities.ForwardBackward(x, t, lp, g, classes, new Recorder(seenLp, seenH, calls), h, softCap: classes == 3 ? 4 : double.PositiveInfinity);
        for (int r = 0; r < rows; r++)
        {
            bool ignored = t[r] == -100;
            Assert.Equal(ignored ? 0 : 1, calls[r]);
            if (ignored)
            {
                Assert.Equal(0f, lp[r]);
                Assert.Equal(0f, h[r]);
                Assert.True(g.AsSpan(r * classes, classes).IndexOfAnyExcept(0f) < 0, $"row {r} is ignored: its gradient is zero");
            }
            else
            {
                Assert.Equal(lp[r], seenLp[r]);
                Assert.Equal(h[r], seenH[r]);
            }
        }
    }

    [Fact]
    public void Any_thread_count_gives_the_same_bits()
    {
        const int rows = 300, classes = 200;
        var (x, t, alpha, beta) = Batch<float>(rows, classes, 5);
        float[][] gradients = new float[3][];
        int k = 0;
        foreach (int threads in new[] { 1, 2, -1 })
        {
            gradients[k] = new float[x.Length];
            TokenLogProbabilities.ForwardBackward(x, t, new float[rows], gradients[k], classes, new Given<float>(alpha, beta), maxDegreeOfParallelism: threads);
            k++;
        }
        Assert.True(gradients[0].AsSpan().SequenceEqual(gradients[1]) && gradients[0].AsSpan().SequenceEqual(gradients[2]));
    }

    [Fact]
    public void A_ppo_objective_gets_the_gradient_of_its_loss()
    {
        const int rows = 6, classes = 7;
        var random = new Random(9);
        double[] x = [.. Enumerable.Range(0, rows * classes).Select(_ => (random.NextDouble() - 0.5) * 6)];
        int[] t = [.. Enumerable.Range(0, rows).Select(_ => random.Next(classes))];
        var lp = new double[rows];
        var h = new double[rows];
        TokenLogProbabilities.Forward<double>(x, t, lp, classes, h);
        // Old log-probabilities around the current ones (some ratios beyond the clip range), advantages of both signs.
        double[] old = [.. lp.Select((v, i) => v + ((i % 3) - 1) * 0.4)];
        double[] advantages = [1.5, -0.7, 0.3, -2.0, 0.9, -0.1];
        var ppo = new Ppo(old, advantages, clip: 0.2, entropyCoefficient: 0.01);
        var g = new double[x.Length];
        TokenLogProbabilities.ForwardBackward(x, t, lp, g, classes, ppo, h);

        double LossAt(double[] logits)
        {
            var l = new double[rows];
            var e = new double[rows];
            TokenLogProbabilities.Forward<double>(logits, t, l, classes, e);
            return ppo.Loss(l, e);
        }
        for (int i = 0; i < x.Length; i++)
        {
            double[] up = [.. x], down = [.. x];
            up[i] += 1e-6;
            down[i] -= 1e-6;
            double numeric = (LossAt(up) - LossAt(down)) / 2e-6;
            Assert.True(Math.Abs(numeric - g[i]) <= 1e-7 + (1e-6 * Math.Abs(numeric)), $"logit {i}: {g[i]} vs finite difference {numeric}");
        }
    }

    [Fact]
    public void Misuse_is_refused_before_anything_is_written()
    {
        const int rows = 4, classes = 8;
        var (x, t, alpha, beta) = Batch<float>(rows, classes, 2);
        var calls = new int[rows];
        var recorder = new Recorder(new float[rows], new float[rows], calls);
        var g = Enumerable.Repeat(7f, x.Length).ToArray();
        var lp = Enumerable.Repeat(7f, rows).ToArray();

        int[] bad = [.. t];
        bad[2] = classes;
        var e1 = Assert.Throws<ArgumentOutOfRangeException>(() => TokenLogProbabilities.ForwardBackward<float, Recorder>(x, bad, lp, g, classes, recorder));
        Assert.Contains("2", e1.Message);
        var e2 = Assert.ThrowsAny<ArgumentException>(() => TokenLogProbabilities.ForwardBackward<float, Recorder>(x, t, lp, x, classes, recorder));
        Assert.Equal("gradient", e2.ParamName);
        var e3 = Assert.ThrowsAny<ArgumentException>(() => TokenLogProbabilities.ForwardBackward<float, Recorder>(x, t, lp.AsSpan(0, 3), g, classes, recorder));
        Assert.Equal("logProbabilities", e3.ParamName);
        var e4 = Assert.ThrowsAny<ArgumentException>(() => TokenLogProbabilities.ForwardBackward<float, Recorder>(x, t, lp, g.AsSpan(1), classes, recorder));
        Assert.Equal("gradient", e4.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => TokenLogProbabilities.ForwardBackward<float, Recorder>(x, t, lp, g, classes, recorder, softCap: 0));
        var e5 = Assert.ThrowsAny<ArgumentException>(() => TokenLogProbabilities.ForwardBackward<float, Recorder>(x, t, lp, g, classes, recorder,
            entropy: g.AsSpan(0, rows)));
        Assert.True(e5.ParamName is "gradient" or "entropy");

        var e6 = Assert.ThrowsAny<ArgumentException>(() => TokenLogProbabilities.ForwardBackward<float, Recorder>(x, ReadOnlySpan<int>.Empty, lp, g, classes, recorder));
        Assert.Equal("targets", e6.ParamName);
        TokenLogProbabilities.ForwardBackward<float, Recorder>([], ReadOnlySpan<int>.Empty, [], [], classes, recorder);   // an empty batch: nothing to do

        Assert.All(g, v => Assert.Equal(7f, v));
        Assert.All(lp, v => Assert.Equal(7f, v));
        Assert.All(calls, c => Assert.Equal(0, c));
    }

    [Fact]
    public void Allocates_nothing()
    {
        var (x, t, alpha, beta) = Batch<float>(64, 1000, 4);
        var (lp, h, g) = (new float[64], new float[64], new float[x.Length]);
        var given = new Given<float>(alpha, beta);
        TokenLogProbabilities.ForwardBackward(x, t, lp, g, 1000, given, h);
        long bytes = Allocations.Of(() => TokenLogProbabilities.ForwardBackward(x, t, lp, g, 1000, given, h));
        Assert.Equal(0, bytes);
    }
}
