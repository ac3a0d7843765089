using System.Numerics;
using System.Runtime.InteropServices;
using Losses.Kernels;

namespace Losses;

/// <summary>
/// The normalizer of a softmax: the maximum M of a set of logits and S = Σ exp(xᵢ − M), so that
/// softmax(x)ᵢ = exp(xᵢ − M) / S and logsumexp(x) = M + log S. <see cref="SoftmaxNormalizer.Of{T}"/> computes it in one
/// pass (the running maximum rescales the running sum only when it rises) and <see cref="SoftmaxNormalizer.Combine{T}"/>
/// merges two into the normalizer of the union, so a row can be processed in chunks, across threads, or across
/// vocabulary shards held in different places.
/// </summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
/// <param name="Max">M, the largest logit (−∞ for none).</param>
/// <param name="SumOfExp">S = Σ exp(xᵢ − M) (0 for none).</param>
/// <remarks>
/// <para>Edge cases, the same as <see cref="Losses.LogSumExp.Forward{T}(ReadOnlySpan{T})"/> in every combination: the normalizer of
/// no logits, or of logits that are all −∞ (fully masked), is (−∞, 0), whose <see cref="LogSumExp"/> is −∞. A +∞ logit
/// (and no NaN) gives (+∞, NaN); <see cref="LogSumExp"/> is then +∞, as PyTorch's <c>logsumexp</c>. A NaN logit gives
/// (NaN, NaN), and <see cref="SoftmaxNormalizer.Combine{T}"/> keeps it NaN whatever it is combined with, so a NaN in any
/// shard makes the log-sum-exp NaN.</para>
/// <para>Accuracy: S is accumulated per SIMD lane in short blocks whose totals are compensated, and the lanes are combined
/// in double, so its relative error is a few ulp whatever the number of logits.</para>
/// </remarks>
[StructLayout(LayoutKind.Auto)]
public readonly record struct SoftmaxNormalizer<T>(T Max, T SumOfExp)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>log Σ exp(xᵢ) = M + log S; −∞ for no logits or all −∞, +∞ when M is +∞, NaN when M is NaN.</summary>
    public T LogSumExp => T.IsPositiveInfinity(Max) ? Max : Max + T.Log(SumOfExp);
}

/// <summary>Computes and combines <see cref="SoftmaxNormalizer{T}"/> values.</summary>
/// <example>
/// <code>
/// float[] logits = [.. Enumerable.Range(0, 100_000).Select(i => MathF.Sin(i))];
/// var left = SoftmaxNormalizer.Of&lt;float&gt;(logits[..50_000]);
/// var right = SoftmaxNormalizer.Of&lt;float&gt;(logits[50_000..]);
/// float lse = SoftmaxNormalizer.Combine(left, right).LogSumExp; // equals LogSumExp.Forward(logits) to a few ulp
/// </code>
/// </example>
public static class SoftmaxNormalizer
{
    /// <summary>The normalizer of no logits, (−∞, 0): the identity of <see cref="Combine{T}"/>.</summary>
    public static SoftmaxNormalizer<T> Empty<T>()
        where T : unmanaged, IFloatingPointIeee754<T> => new(T.NegativeInfinity, T.Zero);

    /// <summary>Computes the normalizer (max, Σ exp(x − max)) of <paramref name="logits"/> in one vectorized pass.</summary>
    /// <param name="logits">Any values; −∞ entries are masked out.</param>
    /// <returns>The normalizer; <see cref="Empty{T}"/> for an empty span or a row of −∞.</returns>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is not float or double.</exception>
    public static unsafe SoftmaxNormalizer<T> Of<T>(ReadOnlySpan<T> logits)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Guard.FloatOrDouble<T>();
        if (logits.IsEmpty)
        {
            return Empty<T>();
        }
        T max = T.Zero;
        T sumOfExp = T.Zero;
        fixed (T* x = logits)
        {
            var op = new SoftmaxNormalizerOp<T>(x, logits.Length, &max, &sumOfExp);
            RowDriver.Run<T, SoftmaxNormalizerOp<T>>(in op, 1, logits.Length, null, 1);
        }
        var result = new SoftmaxNormalizer<T>(max, sumOfExp);

        // The one-pass kernel's running maximum skips NaN, and a +∞ makes S NaN too: look for a NaN only then (rare).
        return T.IsFinite(result.SumOfExp) && !T.IsNaN(result.Max) ? result : T.IsNaN(result.Max) || ContainsNaN(logits) ? NaN<T>() : result;
    }

    /// <summary>
    /// The normalizer of the union of two sets of logits: M = max(M₁, M₂), S = S₁·exp(M₁ − M) + S₂·exp(M₂ − M).
    /// </summary>
    /// <remarks>Associative and commutative up to rounding; <see cref="Empty{T}"/> is its identity. A NaN normalizer (max NaN,
    /// from a NaN logit) absorbs everything; a +∞ one gives +∞ unless combined with a NaN one.</remarks>
    public static SoftmaxNormalizer<T> Combine<T>(SoftmaxNormalizer<T> first, SoftmaxNormalizer<T> second)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (T.IsNaN(first.Max) || T.IsNaN(second.Max))
        {
            return NaN<T>();
        }
        T max = T.Max(first.Max, second.Max);
        if (T.IsNegativeInfinity(max))
        {
            return Empty<T>();
        }
        return new SoftmaxNormalizer<T>(max, Part(first, max) + Part(second, max));

        static T Part(SoftmaxNormalizer<T> part, T max) =>
            part.SumOfExp == T.Zero ? T.Zero : part.SumOfExp * T.Exp(part.Max - max);
    }

    private static SoftmaxNormalizer<T> NaN<T>()
        where T : unmanaged, IFloatingPointIeee754<T> => new(T.NaN, T.NaN);

    private static bool ContainsNaN<T>(ReadOnlySpan<T> values)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        foreach (T value in values)
        {
            if (T.IsNaN(value))
            {
                return true;
            }
        }
        return false;
    }
}
