using System.Numerics;
using Losses.Kernels;

namespace Losses;

/// <summary>
/// Huber loss, elementwise, as PyTorch's <c>F.huber_loss</c>: with d = x − y, ℓ = ½d² for |d| &lt; δ, else δ·(|d| − ½δ);
/// gradient clamp(d, −δ, δ)·r.
/// </summary>
/// <remarks>Reductions as <see cref="MeanSquaredError"/>. NaN propagates per element.</remarks>
/// <seealso cref="SmoothL1Loss"/>
/// <seealso cref="MeanSquaredError"/>
public static partial class HuberLoss
{
    /// <summary>Computes the Huber loss and optionally its gradient and per-element losses.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="input">Predictions, any length n.</param>
    /// <param name="targets">n targets.</param>
    /// <param name="gradient">Empty, or at least n. May be <paramref name="input"/> itself.</param>
    /// <param name="reduction">None, Mean (default) or Sum.</param>
    /// <param name="losses">With <see cref="Reduction.None"/>: at least n long.</param>
    /// <param name="delta">δ &gt; 0 (default 1).</param>
    /// <param name="maxDegreeOfParallelism">1 (default), n threads, or −1 for all cores.</param>
    /// <returns>The reduced loss (for None, the sum of the losses).</returns>
    /// <exception cref="ArgumentOutOfRangeException">delta is not positive, or reduction is out of range.</exception>
    /// <exception cref="ArgumentException">Lengths disagree or a destination is too short.</exception>
    /// <example>
    /// <code>
    /// float loss = HuberLoss.Forward&lt;float&gt;([0.5f, 3f], [0f, 0f], delta: 1f); // (0.125 + 2.5) / 2
    /// </code>
    /// </example>
    public static T Forward<T>(ReadOnlySpan<T> input, ReadOnlySpan<T> targets, Span<T> gradient = default,
        Reduction reduction = Reduction.Mean, Span<T> losses = default, double delta = 1.0, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Guard.FloatOrDouble<T>();
        Reductions.Check(reduction);
        if (!(delta > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(delta), delta, "delta must be positive.");
        }
        return Batch.Elementwise(input, targets, gradient, reduction, losses, default, default,
            new HuberLossTerm<T>(T.CreateTruncating(delta)), 1, maxDegreeOfParallelism, nameof(input), nameof(targets));
    }
}
