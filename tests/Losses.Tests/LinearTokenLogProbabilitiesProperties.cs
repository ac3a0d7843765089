using System.Numerics;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Losses.Tests;

/// <summary>
/// LinearTokenLogProbabilities (FsCheck): bitwise independent of the buffer size and the thread count; bitwise equal to
/// materialising the logits and calling TokenLogProbabilities.Forward/Backward and the three matrix products; gradients
/// equal to finite differences of the forward pass.
/// </summary>
public class LinearTokenLogProbabilitiesProperties
{
    /// <summary>A problem with a buffer budget (in tokens per chunk) and a thread count to compare against the default.</summary>
    public sealed record Case(LinearTokenLogProbabilitiesTests.Problem<float> Problem, int ChunkTokens, int Threads)
    {
        public override string ToString() => $"{Problem} chunk={ChunkTokens} threads={Threads}";
    }

    public static Arbitrary<Case> Cases() =>
        (from tokens in Gen.Choose(1, 40)
         from hidden in Gen.Choose(1, 20)
         from vocab in Gen.Elements(1, 2, 7, 16, 17, 33, 64, 129, 300)
         from bias in Gen.Elements(true, false)
         from masked in Gen.Choose(0, 2)
         from ignored in Gen.Choose(0, 3)
         from entropyGradient in Gen.Elements(true, false)
         from softCap in Gen.Elements(double.PositiveInfinity, 3.0)
         from seed in Gen.Choose(0, int.MaxValue)
         from chunk in Gen.Choose(1, 41)
         from threads in Gen.Elements(1, 2, -1)
         select new Case(Make<float>(tokens, hidden, vocab, bias, Math.Min(masked, vocab - 1), ignored, entropyGradient, softCap, seed), chunk, threads))
        .ToArbitrary();

    /// <summary>Random H, W, bias (with <paramref name="masked"/> classes at −∞), targets (some ignored), α and β.</summary>
    internal static LinearTokenLogProbabilitiesTests.Problem<T> Make<T>(int tokens, int hidden, int vocab, bool bias, int masked, int ignored,
        bool entropyGradient, double softCap, int seed)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(seed);
        T[] Values(int n, double scale) => [.. Enumerable.Range(0, n).Select(_ => T.CreateTruncating(((random.NextDouble() * 2) - 1) * scale))];
        T[] h = Values(tokens * hidden, 2);
        T[] w = Values(vocab * hidden, 1);
        T[] b = bias ? Values(vocab, 1) : [];
        for (int m = 0; bias && m < masked; m++)
        {
            b[random.Next(vocab)] = T.NegativeInfinity;
        }
        int[] t = [.. Enumerable.Range(0, tokens).Select(_ => random.Next(vocab))];
        for (int i = 0; i < ignored; i++)
        {
            t[random.Next(tokens)] = -100;
        }
        return new LinearTokenLogProbabilitiesTests.Problem<T>(tokens, hidden, vocab, h, w, b, t, Values(tokens, 1), entropyGradient ? Values(tokens, 1) : [], softCap);
    }

    [Property(Arbitrary = [typeof(LinearTokenLogProbabilitiesProperties)], MaxTest = 60)]
    public bool Buffer_size_and_thread_count_do_not_change_any_bit(Case c)
    {
        var p = c.Problem;
        var reference = LinearTokenLogProbabilitiesTests.Run(p);
        var other = LinearTokenLogProbabilitiesTests.Run(p, budget: c.ChunkTokens * p.Vocabulary, threads: c.Threads);
        LinearTokenLogProbabilitiesTests.Same(reference, other, c.ToString());
        return true;
    }

    [Property(Arbitrary = [typeof(LinearTokenLogProbabilitiesProperties)], MaxTest = 60)]
    public bool Equals_materialising_the_logits_bitwise(Case c)
    {
        var p = c.Problem;
        int tokens = p.Tokens, vocab = p.Vocabulary;
        var fused = LinearTokenLogProbabilitiesTests.Run(p, budget: c.ChunkTokens * vocab);

        // The same recipe with the whole [tokens × vocab] logits: bias, then + H·Wᵀ; TokenLogProbabilities forward and
        // backward; ∂H = G·W, ∂W = Gᵀ·H, ∂b = column sums in token order.
        var logits = new float[tokens * vocab];
        for (int i = 0; i < tokens && p.Bias.Length > 0; i++)
        {
            p.Bias.CopyTo(logits, i * vocab);
        }
        MatrixMultiply.MultiplyTransposedB<float>(p.H, p.W, logits, tokens, vocab, p.Hidden, accumulate: p.Bias.Length > 0);
        var lp = new float[tokens];
        var entropy = new float[tokens];
        TokenLogProbabilities.Forward<float>(logits, p.Targets, lp, vocab, entropy, softCap: p.SoftCap);
        var g = new float[logits.Length];
        TokenLogProbabilities.Backward<float>(logits, p.Targets, p.Alpha, p.Beta, g, vocab, softCap: p.SoftCap);
        var dh = new float[p.H.Length];
        var dw = new float[p.W.Length];
        var db = new float[vocab];
        MatrixMultiply.Multiply<float>(g, p.W, dh, tokens, p.Hidden, vocab);
        MatrixMultiply.MultiplyTransposedA<float>(g, p.H, dw, vocab, p.Hidden, tokens);
        for (int i = 0; i < tokens; i++)
        {
            for (int j = 0; j < vocab; j++)
            {
                db[j] = i == 0 ? g[j] : db[j] + g[(i * vocab) + j];
            }
        }
        var expected = new LinearTokenLogProbabilitiesTests.Result<float>(lp, entropy, lp, entropy, dh, dw, p.Bias.Length > 0 ? db : []);
        LinearTokenLogProbabilitiesTests.Same(expected, fused, c.ToString());
        return true;
    }

    [Property(Arbitrary = [typeof(LinearTokenLogProbabilitiesProperties)], MaxTest = 15)]
    public bool Gradients_equal_finite_differences(Case c)
    {
        // In double, small: every input is perturbed.
        var f = c.Problem;
        var p = Make<double>(Math.Min(f.Tokens, 4), Math.Min(f.Hidden, 3), Math.Min(f.Vocabulary, 17), f.Bias.Length > 0, 0, f.Targets.Count(v => v < 0) > 0 ? 1 : 0,
            f.Beta.Length > 0, f.SoftCap, f.Tokens * 7919);
        var r = LinearTokenLogProbabilitiesTests.Run(p, budget: 2 * p.Vocabulary);
        var lp = new double[p.Tokens];
        var entropy = new double[p.Tokens];
        double Objective()
        {
            LinearTokenLogProbabilities.Forward<double>(p.H, p.W, p.Targets, lp, p.Hidden, p.Vocabulary, entropy, p.Bias, softCap: p.SoftCap);
            double sum = 0;
            for (int i = 0; i < p.Tokens; i++)
            {
                sum += (p.Alpha[i] * lp[i]) + (p.Beta.Length > 0 ? p.Beta[i] * entropy[i] : 0);
            }
            return sum;
        }
        LinearCrossEntropyTests.FiniteDifferences((p.H, r.HiddenGradient, "∂H"), (p.W, r.WeightGradient, "∂W"), (p.Bias, r.BiasGradient, "∂b"),
            Objective, $"{p} ");
        return true;
    }
}
