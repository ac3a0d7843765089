using System.Numerics;
using Losses.Kernels;

namespace Losses;

/// <summary>
/// The KL-divergence training loss with PyTorch's <c>F.kl_div</c> semantics: the input is log-probabilities log q, the
/// target probabilities p (or log p with <c>logTarget</c>), and elementwise ℓ = p·(log p − log q) (0 where p = 0), with
/// the gradient −p·r with respect to the input.
/// </summary>
/// <remarks>
/// <para>Reductions: None (per element; returns the sum), Sum, BatchMean (Σ ÷ rows: the true KL divergence per sample; use
/// this), and Mean (Σ ÷ elements, PyTorch's default, which is not the KL divergence). For distribution measures on
/// probability vectors (not a training loss) see <c>KLDivergence</c>.</para>
/// <para>Edge cases as PyTorch: p = 0 contributes 0 unless log q = −∞ (0·∞ = NaN); log q = −∞ where p &gt; 0 gives +∞; NaN propagates per element.</para>
/// </remarks>
/// <seealso cref="CrossEntropy"/>
/// <seealso cref="LogSoftmax"/>
public static partial class KLDivLoss
{
    /// <summary>Computes the kl_div loss and optionally its gradient with respect to <paramref name="logProbabilities"/>.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="logProbabilities">log q, rows × classCount, row-major.</param>
    /// <param name="targets">p (or log p with <paramref name="logTarget"/>), same length.</param>
    /// <param name="classCount">The row length, used by BatchMean; positive.</param>
    /// <param name="gradient">Empty, or rows × classCount: receives ∂loss/∂logProbabilities. May be the input itself.</param>
    /// <param name="reduction">None, Mean, Sum or BatchMean (default).</param>
    /// <param name="losses">With <see cref="Reduction.None"/>: one per element.</param>
    /// <param name="logTarget">Whether <paramref name="targets"/> holds log-probabilities.</param>
    /// <param name="maxDegreeOfParallelism">1 (default), n threads, or −1 for all cores.</param>
    /// <returns>The reduced loss (for None, the sum of the losses).</returns>
    /// <exception cref="ArgumentException">Lengths disagree or a destination is too short.</exception>
    /// <exception cref="ArgumentOutOfRangeException">classCount, reduction or maxDegreeOfParallelism is out of range.</exception>
    /// <example>
    /// <code>
    /// double kl = KLDivLoss.Forward&lt;double&gt;([Math.Log(0.5), Math.Log(0.5)], [0.9, 0.1], classCount: 2);
    /// </code>
    /// </example>
    public static T Forward<T>(ReadOnlySpan<T> logProbabilities, ReadOnlySpan<T> targets, int classCount, Span<T> gradient = default,
        Reduction reduction = Reduction.BatchMean, Span<T> losses = default, bool logTarget = false, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Guard.FloatOrDouble<T>();
        Reductions.Check(reduction, batchMean: true);
        int rows = Guard.Rows(logProbabilities.Length, classCount, nameof(logProbabilities));
        return Batch.Elementwise(logProbabilities, targets, gradient, reduction, losses, default, default,
            new KLDivLossTerm<T>(logTarget), rows, maxDegreeOfParallelism, nameof(logProbabilities), nameof(targets));
    }
}
