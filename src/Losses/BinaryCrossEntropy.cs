using System.Numerics;
using Losses.Kernels;

namespace Losses;

/// <summary>
/// Binary cross-entropy, elementwise over any span (e.g. a row-major [rows × classes] multi-label batch), as PyTorch's
/// <c>F.binary_cross_entropy</c> (from probabilities) and <c>F.binary_cross_entropy_with_logits</c> (from logits), with the
/// gradient with respect to the input written in the same call.
/// </summary>
/// <remarks>
/// <para>Reductions: None writes one loss per element to <c>losses</c> and returns their sum; Mean divides the (weighted)
/// sum by the number of elements (as PyTorch, not by the sum of weights); Sum.</para>
/// <para>Multi-core: <c>maxDegreeOfParallelism</c> &gt; 1 splits the elements into fixed blocks; the result is bitwise identical
/// for any thread count (see <see cref="CrossEntropy"/> for what that path allocates).</para>
/// </remarks>
/// <seealso cref="CrossEntropy"/>
/// <seealso cref="FocalLoss"/>
public static partial class BinaryCrossEntropy
{
    /// <summary>
    /// ℓᵢ = −wᵢ·(yᵢ·max(log pᵢ, −100) + (1 − yᵢ)·max(log(1 − pᵢ), −100)) from probabilities p; gradient
    /// wᵢ·(pᵢ − yᵢ)/max(pᵢ(1 − pᵢ), 1e-12)·r (r = 1/n for Mean), both exactly as PyTorch 1.13, evaluated in its order
    /// (yᵢ − 1)·log(1 − pᵢ) − yᵢ·log pᵢ so that a hard label keeps one term: the loss is within 2 ulp of −log pᵢ (y = 1) or
    /// of −log(1 − pᵢ) computed from the rounded 1 − pᵢ (y = 0), e.g. 0.0027081051 for float p = 0.99729556, y = 1.
    /// </summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="probabilities">Predicted probabilities in [0, 1], any length n.</param>
    /// <param name="targets">n targets (usually 0 or 1; soft targets allowed).</param>
    /// <param name="gradient">Empty, or at least n: receives ∂loss/∂probabilities. May be <paramref name="probabilities"/> itself.</param>
    /// <param name="reduction">None, Mean (default) or Sum.</param>
    /// <param name="losses">With <see cref="Reduction.None"/>: at least n long.</param>
    /// <param name="weight">Empty, or n per-element weights.</param>
    /// <param name="maxDegreeOfParallelism">1 (default), n threads, or −1 for all cores.</param>
    /// <returns>The reduced loss (for None, the sum of the losses).</returns>
    /// <remarks>Each log is clamped at −100 as in PyTorch, so p = 0 with y = 1 gives a loss of 100, not ∞; the gradient
    /// there is −1e12. A NaN target gives NaN.</remarks>
    /// <exception cref="ArgumentOutOfRangeException">A probability is outside [0, 1] or NaN (its index and value are in the message).</exception>
    /// <exception cref="ArgumentException">Lengths disagree or a destination is too short.</exception>
    /// <example>
    /// <code>
    /// float loss = BinaryCrossEntropy.Forward&lt;float&gt;([0.9f, 0.2f], [1f, 0f]); // (−log 0.9 − log 0.8) / 2
    /// </code>
    /// </example>
    public static T Forward<T>(ReadOnlySpan<T> probabilities, ReadOnlySpan<T> targets, Span<T> gradient = default,
        Reduction reduction = Reduction.Mean, Span<T> losses = default, ReadOnlySpan<T> weight = default, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Guard.FloatOrDouble<T>();
        Reductions.Check(reduction);
        Guard.UnitInterval(probabilities, nameof(probabilities));
        return Batch.Elementwise(probabilities, targets, gradient, reduction, losses, weight, default, new BinaryCrossEntropyTerm<T>(),
            1, maxDegreeOfParallelism, nameof(probabilities), nameof(targets));
    }

    /// <summary>
    /// ℓᵢ = wᵢ·((1 − yᵢ)·xᵢ + (1 + (pw_c − 1)·yᵢ)·softplus(−xᵢ)) from logits x (PyTorch's formula, evaluated without
    /// cancellation, see remarks); gradient wᵢ·((1 + (pw_c − 1)·yᵢ)·σ(xᵢ) − pw_c·yᵢ)·r = wᵢ·((1 − yᵢ)·σ(xᵢ) − pw_c·yᵢ·σ(−xᵢ))·r.
    /// </summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="logits">Any length n; with <paramref name="posWeight"/>, row-major rows of posWeight.Length classes.</param>
    /// <param name="targets">n targets in [0, 1] (not checked, as in PyTorch).</param>
    /// <param name="gradient">Empty, or at least n: receives ∂loss/∂logits. May be <paramref name="logits"/> itself.</param>
    /// <param name="reduction">None, Mean (default) or Sum.</param>
    /// <param name="losses">With <see cref="Reduction.None"/>: at least n long.</param>
    /// <param name="weight">Empty, or n per-element weights.</param>
    /// <param name="posWeight">Empty, or one weight of the positive term per class (PyTorch's <c>pos_weight</c>), broadcast over rows.</param>
    /// <param name="maxDegreeOfParallelism">1 (default), n threads, or −1 for all cores.</param>
    /// <returns>The reduced loss (for None, the sum of the losses).</returns>
    /// <remarks>
    /// <para>Computed as a sum of non-negative terms, ℓ = [(1 − y)·x for x ≥ 0, −pw·y·x for x &lt; 0] + (1 + (pw − 1)·y)·log1p(e^−|x|)
    /// (one exp per element, shared with the sigmoid), so no two |x|-sized terms cancel: for any y in [0, 1] and pw ≥ 0 the loss
    /// is within a few ulp (tested: 6) of the exact value, including tiny losses for both labels (x = 17, y = 1 and x = −17,
    /// y = 0 give 4.14e-8 in float, where PyTorch 1.13 returns 0). The gradient is computed as (1 − y)·σ(x) − pw·y·σ(−x) with
    /// both sigmoids from e^−|x| (never 1 − σ): for y ∈ {0, 1} it is one term, within a few ulp (tested: 4); for soft labels
    /// its absolute error is a few ulp of max(σ(x), pw·σ(−x)).</para>
    /// <para>Infinite logits give the limits for hard labels: a confident right answer (x = +∞, y = 1 or x = −∞, y = 0) costs 0
    /// with gradient 0, a confident wrong one +∞ with gradient ±1 (PyTorch gives NaN where its (1 − y)·x is 0·∞). NaN
    /// propagates per element.</para>
    /// </remarks>
    /// <exception cref="ArgumentException">Lengths disagree (logits not a whole number of rows of posWeight.Length), or a destination is too short.</exception>
    /// <exception cref="ArgumentOutOfRangeException">reduction or maxDegreeOfParallelism is out of range.</exception>
    /// <example>
    /// <code>
    /// var grad = new float[2];
    /// float loss = BinaryCrossEntropy.ForwardWithLogits&lt;float&gt;([17f, -2f], [1f, 0f], gradient: grad, reduction: Reduction.Sum);
    /// </code>
    /// </example>
    public static T ForwardWithLogits<T>(ReadOnlySpan<T> logits, ReadOnlySpan<T> targets, Span<T> gradient = default,
        Reduction reduction = Reduction.Mean, Span<T> losses = default, ReadOnlySpan<T> weight = default, ReadOnlySpan<T> posWeight = default,
        int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Guard.FloatOrDouble<T>();
        Reductions.Check(reduction);
        if (!posWeight.IsEmpty && logits.Length % posWeight.Length != 0)
        {
            throw new ArgumentException($"posWeight has {posWeight.Length} elements, which does not divide the {logits.Length} logits into whole rows (one posWeight per class).", nameof(posWeight));
        }
        return Batch.Elementwise(logits, targets, gradient, reduction, losses, weight, posWeight, new BinaryCrossEntropyWithLogitsTerm<T>(),
            1, maxDegreeOfParallelism, nameof(logits), nameof(targets));
    }
}
