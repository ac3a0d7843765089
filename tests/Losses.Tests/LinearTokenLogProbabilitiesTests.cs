using System.Numerics;
using System.Text.Json;

namespace Losses.Tests;

/// <summary>
/// LinearTokenLogProbabilities against PyTorch (F.linear + log_softmax + gather, the entropy, autograd for ∂H, ∂W, ∂b
/// with arbitrary upstream gradients), int64 targets, bad input, empty batches and allocation. The properties (buffer,
/// threads, materialised logits, finite differences) are in <see cref="LinearTokenLogProbabilitiesProperties"/>.
/// </summary>
public class LinearTokenLogProbabilitiesTests
{
    private const string File = "linear_token_log_probabilities.json";

    public static TheoryData<string> Cases => Reference.Names(File);

    /// <summary>The outputs of a Forward and a Backward call.</summary>
    public sealed record Result<T>(T[] LogProbabilities, T[] Entropy, T[] BackwardLogProbabilities, T[] BackwardEntropy,
        T[] HiddenGradient, T[] WeightGradient, T[] BiasGradient);

    /// <summary>One problem: shapes, inputs and upstream gradients.</summary>
    public sealed record Problem<T>(int Tokens, int Hidden, int Vocabulary, T[] H, T[] W, T[] Bias, int[] Targets, T[] Alpha, T[] Beta, double SoftCap)
        where T : IFloatingPointIeee754<T>
    {
        public override string ToString() =>
            $"{Tokens}×{Hidden}×{Vocabulary} bias={Bias.Length > 0} masked={Bias.Count(T.IsNegativeInfinity)} ignored={Targets.Count(t => t < 0)} β={Beta.Length > 0} cap={SoftCap}";
    }

    internal static Result<T> Run<T>(Problem<T> p, int budget = LinearCrossEntropy.DefaultMaxBufferElements, int threads = 1, bool asLong = false)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var lp = new T[p.Tokens];
        var entropy = new T[p.Tokens];
        var lp2 = new T[p.Tokens];
        var entropy2 = new T[p.Tokens];
        var dh = new T[p.H.Length];
        var dw = new T[p.W.Length];
        var db = new T[p.Bias.Length == 0 ? 0 : p.Vocabulary];
        if (asLong)
        {
            long[] t = [.. p.Targets.Select(v => (long)v)];
            LinearTokenLogProbabilities.Forward<T>(p.H, p.W, t, lp, p.Hidden, p.Vocabulary, entropy, p.Bias, softCap: p.SoftCap,
                maxBufferElements: budget, maxDegreeOfParallelism: threads);
            LinearTokenLogProbabilities.Backward<T>(p.H, p.W, t, p.Alpha, p.Beta, p.Hidden, p.Vocabulary, p.Bias, dh, dw, db, lp2, entropy2,
                softCap: p.SoftCap, maxBufferElements: budget, maxDegreeOfParallelism: threads);
        }
        else
        {
            LinearTokenLogProbabilities.Forward<T>(p.H, p.W, p.Targets, lp, p.Hidden, p.Vocabulary, entropy, p.Bias, softCap: p.SoftCap,
                maxBufferElements: budget, maxDegreeOfParallelism: threads);
            LinearTokenLogProbabilities.Backward<T>(p.H, p.W, p.Targets, p.Alpha, p.Beta, p.Hidden, p.Vocabulary, p.Bias, dh, dw, db, lp2, entropy2,
                softCap: p.SoftCap, maxBufferElements: budget, maxDegreeOfParallelism: threads);
        }
        return new Result<T>(lp, entropy, lp2, entropy2, dh, dw, db);
    }

    internal static void Same<T>(Result<T> expected, Result<T> actual, string what)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Assert.True(expected.LogProbabilities.AsSpan().SequenceEqual(actual.LogProbabilities), what + ": log p");
        Assert.True(expected.Entropy.AsSpan().SequenceEqual(actual.Entropy), what + ": entropy");
        Assert.True(expected.BackwardLogProbabilities.AsSpan().SequenceEqual(actual.BackwardLogProbabilities), what + ": log p of Backward");
        Assert.True(expected.BackwardEntropy.AsSpan().SequenceEqual(actual.BackwardEntropy), what + ": entropy of Backward");
        Assert.True(expected.HiddenGradient.AsSpan().SequenceEqual(actual.HiddenGradient), what + ": ∂H");
        Assert.True(expected.WeightGradient.AsSpan().SequenceEqual(actual.WeightGradient), what + ": ∂W");
        Assert.True(expected.BiasGradient.AsSpan().SequenceEqual(actual.BiasGradient), what + ": ∂b");
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
        var p = new Problem<T>(c.Int("tokens"), c.Int("hiddenSize"), c.Int("classCount"), c.Values<T>("hidden"), c.Values<T>("linearWeight"),
            c.Optional<T>("linearBias"), c.Ints("targets"), c.Values<T>("logProbabilityGradient"), c.Optional<T>("entropyGradient"),
            c.TryGetProperty("softCap", out var cap) ? cap.GetDouble() : double.PositiveInfinity);
        var r = Run(p);
        string what = c.Text("name");
        LinearCrossEntropyTests.Near(c, "logProbabilities", r.LogProbabilities, tolerance, what + " log p");
        LinearCrossEntropyTests.Near(c, "entropy", r.Entropy, tolerance, what + " entropy");
        Assert.True(r.LogProbabilities.AsSpan().SequenceEqual(r.BackwardLogProbabilities), what + ": Backward's log p are Forward's");
        Assert.True(r.Entropy.AsSpan().SequenceEqual(r.BackwardEntropy), what + ": Backward's entropies are Forward's");
        LinearCrossEntropyTests.Near(c, "hiddenGrad", r.HiddenGradient, tolerance, what + " ∂H");
        LinearCrossEntropyTests.Near(c, "weightGrad", r.WeightGradient, tolerance, what + " ∂W");
        if (p.Bias.Length > 0)
        {
            LinearCrossEntropyTests.Near(c, "biasGrad", r.BiasGradient, tolerance, what + " ∂b");
        }

        // One token per chunk and two threads, and int64 targets, give the same bits.
        Same(r, Run(p, budget: p.Vocabulary, threads: 2), what + " one token per chunk, 2 threads");
        Same(r, Run(p, asLong: true), what + " int64 targets");
    }

    [Fact]
    public void Log_probability_only_equals_with_an_empty_entropy_and_without_gradients()
    {
        var p = LinearTokenLogProbabilitiesProperties.Make<float>(9, 7, 130, bias: true, masked: 2, ignored: 1, entropyGradient: false, softCap: double.PositiveInfinity, seed: 3);
        var r = Run(p);
        var lp = new float[p.Tokens];
        LinearTokenLogProbabilities.Forward<float>(p.H, p.W, p.Targets, lp, p.Hidden, p.Vocabulary, linearBias: p.Bias);
        Assert.Equal(r.LogProbabilities, lp);
        var lp2 = new float[p.Tokens];
        LinearTokenLogProbabilities.Backward<float>(p.H, p.W, p.Targets, p.Alpha, [], p.Hidden, p.Vocabulary, p.Bias, logProbabilities: lp2);
        Assert.Equal(r.LogProbabilities, lp2);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(-1)]
    public void Threads_running_the_backward_products_side_by_side_change_no_bit(int threads)
    {
        // 70 × 64 × 300 is above the size from which the two backward products run side by side.
        var p = LinearTokenLogProbabilitiesProperties.Make<float>(70, 64, 300, bias: true, masked: 1, ignored: 3, entropyGradient: true, softCap: double.PositiveInfinity, seed: 8);
        var reference = Run(p);
        Same(reference, Run(p, threads: threads), $"{threads} threads");
        Same(reference, Run(p, budget: 33 * 300, threads: threads), $"{threads} threads, 33 tokens per chunk");
    }

    [Fact]
    public void No_tokens_writes_zero_gradients()
    {
        float[] dw = [1, 2];
        float[] db = [3, 4];
        LinearTokenLogProbabilities.Forward<float>([], [1, 2], Array.Empty<int>(), [], 1, 2);
        LinearTokenLogProbabilities.Backward<float>([], [1, 2], Array.Empty<int>(), [], [], 1, 2, linearWeightGradient: dw, linearBiasGradient: db);
        Assert.Equal([0f, 0], dw);
        Assert.Equal([0f, 0], db);
    }

    [Fact]
    public void Repeated_single_thread_calls_allocate_nothing()
    {
        var p = LinearTokenLogProbabilitiesProperties.Make<float>(40, 16, 500, bias: true, masked: 0, ignored: 2, entropyGradient: true, softCap: 30, seed: 4);
        var lp = new float[p.Tokens];
        var entropy = new float[p.Tokens];
        var dh = new float[p.H.Length];
        var dw = new float[p.W.Length];
        var db = new float[p.Vocabulary];
        long[] t = [.. p.Targets.Select(v => (long)v)];
        Assert.Equal(0, Least(() => LinearTokenLogProbabilities.Forward<float>(p.H, p.W, p.Targets, lp, 16, 500, entropy, p.Bias,
            softCap: 30, maxBufferElements: 7 * 500)));
        Assert.Equal(0, Least(() => LinearTokenLogProbabilities.Backward<float>(p.H, p.W, p.Targets, p.Alpha, p.Beta, 16, 500, p.Bias,
            dh, dw, db, lp, entropy, softCap: 30, maxBufferElements: 7 * 500)));
        Assert.Equal(0, Least(() => LinearTokenLogProbabilities.Backward<float>(p.H, p.W, t, p.Alpha, p.Beta, 16, 500, p.Bias,
            dh, dw, db, maxBufferElements: 7 * 500)));
    }

    /// <summary>The least of a few measurements: the logits buffer is shared by the fused heads and taken exclusively, so a
    /// call that overlaps one of another test allocates its own.</summary>
    private static long Least(Action call) => Enumerable.Range(0, 3).Min(_ => Allocations.Of(call));

    [Fact]
    public void Bad_input_throws_naming_the_argument_and_writes_nothing()
    {
        float[] h = new float[6];
        float[] w = new float[12];
        int[] t = [0, 3];
        float[] alpha = [1, 1];
        float[] lp = [9, 9];
        float[] entropy = [9, 9];
        float[] dh = [9, 9, 9, 9, 9, 9];
        float[] dw = [.. Enumerable.Repeat(9f, 12)];
        float[] db = [9, 9, 9, 9];

        string Name(Action call) => Assert.ThrowsAny<ArgumentException>(call).ParamName!;
        void Backward(ReadOnlySpan<float> hidden, ReadOnlySpan<float> weight, ReadOnlySpan<int> targets, int classCount = 4,
            ReadOnlySpan<float> logProbabilityGradient = default, ReadOnlySpan<float> entropyGradient = default, ReadOnlySpan<float> bias = default,
            Span<float> hiddenGradient = default, Span<float> logProbabilities = default, int budget = 1 << 20, double softCap = double.PositiveInfinity) =>
            LinearTokenLogProbabilities.Backward<float>(hidden, weight, targets, logProbabilityGradient, entropyGradient, 3, classCount, bias,
                hiddenGradient.IsEmpty ? dh : hiddenGradient, dw, db, logProbabilities.IsEmpty ? lp : logProbabilities, entropy,
                softCap: softCap, maxBufferElements: budget);

        Assert.Equal("hidden", Name(() => LinearTokenLogProbabilities.Forward<float>(h.AsSpan(1), w, t, lp, 3, 4, entropy)));
        Assert.Equal("linearWeight", Name(() => LinearTokenLogProbabilities.Forward<float>(h, w, t, lp, 3, 5, entropy)));
        Assert.Equal("hidden", Name(() => Backward(h, w, [0, 1, 2], logProbabilityGradient: alpha)));
        Assert.Equal("linearWeight", Name(() => Backward(h, w, t, classCount: 5, logProbabilityGradient: alpha)));
        Assert.Equal("linearBias", Name(() => Backward(h, w, t, logProbabilityGradient: alpha, bias: new float[3])));
        Assert.Equal("logProbabilityGradient", Name(() => Backward(h, w, t, logProbabilityGradient: new float[3])));
        Assert.Equal("entropyGradient", Name(() => Backward(h, w, t, logProbabilityGradient: alpha, entropyGradient: new float[1])));
        Assert.Equal("hiddenGradient", Name(() => Backward(h, w, t, logProbabilityGradient: alpha, hiddenGradient: new float[5])));
        Assert.Equal("logProbabilities", Name(() => Backward(h, w, t, logProbabilityGradient: alpha, logProbabilities: new float[1])));
        Assert.Equal("logProbabilities", Name(() => LinearTokenLogProbabilities.Forward<float>(h, w, t, new float[1], 3, 4, entropy)));
        Assert.Equal("entropy", Name(() => LinearTokenLogProbabilities.Forward<float>(h, w, t, lp, 3, 4, new float[1])));
        Assert.Equal("hiddenGradient", Name(() => Backward(h, w, t, logProbabilityGradient: alpha, hiddenGradient: h)));
        Assert.Equal("logProbabilities", Name(() => Backward(h, w, t, logProbabilityGradient: alpha, logProbabilities: alpha)));
        Assert.Equal("entropy", Name(() => LinearTokenLogProbabilities.Forward<float>(h, w, t, lp, 3, 4, lp)));
        Assert.Equal("maxBufferElements", Name(() => Backward(h, w, t, logProbabilityGradient: alpha, budget: 3)));
        Assert.Equal("softCap", Name(() => Backward(h, w, t, logProbabilityGradient: alpha, softCap: 0)));
        Assert.Equal("hiddenSize", Name(() => LinearTokenLogProbabilities.Forward<float>(h, w, t, lp, 0, 4)));
        Assert.Equal("classCount", Name(() => LinearTokenLogProbabilities.Forward<float>(h, w, t, lp, 3, 0)));
        Assert.Equal("maxDegreeOfParallelism", Name(() => LinearTokenLogProbabilities.Forward<float>(h, w, t, lp, 3, 4, maxDegreeOfParallelism: 0)));

        // A target outside the vocabulary: named with its index, nothing written (int and int64).
        var bad = Assert.ThrowsAny<ArgumentException>(() => Backward(h, w, [0, 4], logProbabilityGradient: alpha));
        Assert.Equal("targets", bad.ParamName);
        Assert.Contains("targets[1]", bad.Message, StringComparison.Ordinal);
        Assert.Equal("targets", Name(() => LinearTokenLogProbabilities.Forward<float>(h, w, new long[] { -1, 0 }, lp, 3, 4)));

        Assert.All(lp, v => Assert.Equal(9f, v));
        Assert.All(entropy, v => Assert.Equal(9f, v));
        Assert.All(dh, v => Assert.Equal(9f, v));
        Assert.All(dw, v => Assert.Equal(9f, v));
        Assert.All(db, v => Assert.Equal(9f, v));
    }
}
