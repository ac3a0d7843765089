using System.Numerics;
using Losses.Kernels;

namespace Losses;

/// <summary>
/// Sigmoid focal loss (Lin et al., RetinaNet), elementwise, as <c>torchvision.ops.sigmoid_focal_loss</c>:
/// ℓ = α_t·(1 − p_t)ᵞ·BCEWithLogits(x, y), with p = σ(x), p_t = p·y + (1 − p)(1 − y) and α_t = α·y + (1 − α)(1 − y)
/// (no α_t when α &lt; 0); with its gradient with respect to the logits.
/// </summary>
/// <remarks>
/// <para>1 − p_t is computed as y·σ(−x) + (1 − y)·σ(x), never as 1 − p_t, so confident predictions keep their tiny losses
/// for both labels. The cross-entropy factor is the cancellation-free <see cref="BinaryCrossEntropy.ForwardWithLogits{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, Reduction, Span{T}, ReadOnlySpan{T}, ReadOnlySpan{T}, int)"/>
/// form, and σ(x) − y is (1 − y)·σ(x) − y·σ(−x). Gradient:
/// α_t·((σ(x) − y)·(1 − p_t)ᵞ + ce·γ·(1 − p_t)ᵞ⁻¹·(1 − 2y)·σ(x)σ(−x)). γ = 0 is α-weighted BCE.</para>
/// <para>Accuracy for y ∈ {0, 1}: loss and gradient within (8 + 4·|ln(1 − p_t)|) ulp, the second term being the rounding of
/// γ·ln(1 − p_t) carried through (1 − p_t)ᵞ = e^(γ·ln(1 − p_t)); e.g. x = −100, y = 0 in double gives the gradient 1.158e-130.</para>
/// <para>Reductions: None (per element; returns the sum), Mean (÷ n), Sum, as torchvision. NaN propagates per element.</para>
/// </remarks>
/// <seealso cref="BinaryCrossEntropy"/>
public static partial class FocalLoss
{
    /// <summary>Computes the sigmoid focal loss and optionally its gradient and per-element losses.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="logits">Any length n.</param>
    /// <param name="targets">n targets in [0, 1] (usually 0 or 1).</param>
    /// <param name="gradient">Empty, or at least n: receives ∂loss/∂logits. May be <paramref name="logits"/> itself.</param>
    /// <param name="reduction">None (torchvision's default is none), Mean (default here, as the other losses) or Sum.</param>
    /// <param name="losses">With <see cref="Reduction.None"/>: at least n long.</param>
    /// <param name="alpha">α in [0, 1] weighting positives (default 0.25), or negative for no weighting.</param>
    /// <param name="gamma">γ ≥ 0 and finite in <typeparamref name="T"/>, the focusing exponent (default 2).</param>
    /// <param name="maxDegreeOfParallelism">1 (default), n threads, or −1 for all cores.</param>
    /// <returns>The reduced loss (for None, the sum of the losses).</returns>
    /// <exception cref="ArgumentOutOfRangeException">alpha &gt; 1 or NaN, gamma negative, NaN or infinite (in <typeparamref name="T"/>), or reduction out of range.</exception>
    /// <exception cref="ArgumentException">Lengths disagree or a destination is too short.</exception>
    /// <example>
    /// <code>
    /// float loss = FocalLoss.Forward&lt;float&gt;([3f, -1f], [1f, 0f], alpha: 0.25, gamma: 2);
    /// </code>
    /// </example>
    public static T Forward<T>(ReadOnlySpan<T> logits, ReadOnlySpan<T> targets, Span<T> gradient = default,
        Reduction reduction = Reduction.Mean, Span<T> losses = default, double alpha = 0.25, double gamma = 2.0, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Guard.FloatOrDouble<T>();
        Reductions.Check(reduction);
        if (!(alpha <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "alpha must be in [0, 1], or negative for no weighting.");
        }
        if (!(gamma >= 0) || !T.IsFinite(T.CreateTruncating(gamma)))
        {
            // γ = +∞ would make (1 − p_t)ᵞ 0 or NaN (1^∞) for every element: rejected rather than defined.
            throw new ArgumentOutOfRangeException(nameof(gamma), gamma, FormattableString.Invariant($"gamma must be non-negative and finite as a {typeof(T).Name}; got {gamma}."));
        }
        return Batch.Elementwise(logits, targets, gradient, reduction, losses, default, default,
            new FocalLossTerm<T>(T.CreateTruncating(alpha), T.CreateTruncating(gamma)), 1, maxDegreeOfParallelism,
            nameof(logits), nameof(targets));
    }
}
