using System.Numerics;
using Losses.Kernels;

namespace Losses;

/// <summary>
/// Negative log-likelihood of log-probabilities against integer class targets, as PyTorch's <c>F.nll_loss</c>:
/// ℓᵢ = −w[tᵢ]·logProbabilities[i, tᵢ], with its gradient (−w[tᵢ]·r at the target, 0 elsewhere).
/// </summary>
/// <remarks>
/// <para>Mean divides by Σ w[tᵢ] over rows whose target is not the ignore index (PyTorch's rule), so a batch of only ignored
/// rows (or target weights summing to 0) gives NaN; ignored rows contribute 0 and get a zero gradient. The input is not
/// checked to be log-probabilities. NaN inputs give NaN only if they sit at a target.</para>
/// <para>Use <see cref="CrossEntropy"/> on logits instead of log-softmax followed by this: it is one fused pass and more accurate.</para>
/// </remarks>
/// <seealso cref="CrossEntropy"/>
/// <seealso cref="LogSoftmax"/>
public static partial class NllLoss
{
    /// <summary>Computes the NLL loss and optionally its gradient and per-row losses.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="logProbabilities">rows × classCount log-probabilities, row-major.</param>
    /// <param name="targets">One class index per row, or <paramref name="ignoreIndex"/>.</param>
    /// <param name="classCount">C, positive.</param>
    /// <param name="gradient">Empty, or rows × classCount: receives ∂loss/∂logProbabilities.</param>
    /// <param name="reduction">None, Mean (default) or Sum.</param>
    /// <param name="losses">With <see cref="Reduction.None"/>: at least rows long.</param>
    /// <param name="weight">Empty, or classCount class weights.</param>
    /// <param name="ignoreIndex">Target value of rows to skip (default −100).</param>
    /// <param name="maxDegreeOfParallelism">1 (default) for one thread, n for up to n threads, −1 for all cores; the result is bitwise the same for any value.</param>
    /// <returns>The reduced loss (for None, the sum of the per-row losses).</returns>
    /// <exception cref="ArgumentOutOfRangeException">A target is out of range (its row and value are in the message), or reduction is invalid.</exception>
    /// <exception cref="ArgumentException">Lengths disagree or a destination is too short.</exception>
    /// <example>
    /// <code>
    /// float loss = NllLoss.Forward&lt;float&gt;([-0.1f, -2.4f, -1.2f, -0.4f], [0, 1], classCount: 2); // (0.1 + 0.4) / 2
    /// </code>
    /// </example>
    public static unsafe T Forward<T>(ReadOnlySpan<T> logProbabilities, ReadOnlySpan<int> targets, int classCount, Span<T> gradient = default,
        Reduction reduction = Reduction.Mean, Span<T> losses = default, ReadOnlySpan<T> weight = default, int ignoreIndex = -100, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int rows = CrossEntropy.CheckClassTargets(logProbabilities, targets.Length, classCount, gradient, reduction, losses, weight,
            maxDegreeOfParallelism, nameof(logProbabilities));
        CrossEntropy.CheckTargetsApart(new TargetSpan(targets), gradient, reduction, losses, rows);
        double divisor = CrossEntropy.Divisor(targets, classCount, weight, ignoreIndex);

        fixed (T* x = logProbabilities)
        fixed (int* tg = targets)
        fixed (T* w = weight)
        fixed (T* g = gradient)
        {
            var op = new NllLossOp<T>
            {
                LogProbabilities = x,
                Targets = tg,
                Weight = weight.IsEmpty ? null : w,
                Gradient = gradient.IsEmpty ? null : g,
                ClassCount = classCount,
                IgnoreIndex = ignoreIndex,
                GradientScale = T.CreateTruncating(Reductions.GradientScale(reduction, divisor)),
            };
            return Batch.Reduce<T, NllLossOp<T>>(in op, rows, classCount, losses, reduction, divisor, maxDegreeOfParallelism);
        }
    }
}
