using System.Numerics;
using Losses.Kernels;

namespace Losses;

public static partial class TokenLogProbabilities
{
    /// <summary>
    /// Log-probabilities, entropies and the gradient of a per-token objective in one call: for each block of rows the
    /// storing forward, then <paramref name="objective"/>'s upstream gradients α = ∂L/∂log p_t and β = ∂L/∂H per row, then
    /// the backward g_j = cap′(x_j)·(α·[j = t] − p_j·(α + β·H + β·log p_j)) — while the block's logits and exps are still in
    /// cache, with no partials or upstream-gradient buffers.
    /// </summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <typeparam name="TObjective">A struct giving each row's upstream gradients (see <see cref="ITokenObjective{T}"/>).</typeparam>
    /// <param name="logits">rows × classCount logits, row-major.</param>
    /// <param name="targets">One class index per row (the sampled token), or <paramref name="ignoreIndex"/>.</param>
    /// <param name="logProbabilities">At least rows long: receives log p_t.</param>
    /// <param name="gradient">rows × classCount, apart from the logits: receives ∂L/∂logits.</param>
    /// <param name="classCount">C, positive.</param>
    /// <param name="objective">Called once per counted row with its log p_t and H (rows with the ignore index are not passed to
    /// it: they get 0, 0 and a zero gradient).</param>
    /// <param name="entropy">Empty, or at least rows long: receives H (computed either way: the objective is given it).</param>
    /// <param name="ignoreIndex">Rows with this target get 0 (default −100).</param>
    /// <param name="softCap">c &gt; 0 of the soft-cap c·tanh(x/c); +∞ (default) for none.</param>
    /// <param name="maxDegreeOfParallelism">1 (default) for one thread, n for up to n threads, −1 for all cores; the result is
    /// bitwise the same for any value (the objective must then be safe to call from several threads).</param>
    /// <remarks>
    /// <para>Bitwise the two-call storing form — <see cref="Forward{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, Span{T}, Span{VocabularyPartial}, Span{T}, int, Span{T}, int, double, int)"/>
    /// then <see cref="Backward{T}(ReadOnlySpan{T}, ReadOnlySpan{VocabularyPartial}, ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, int, double, int)"/>
    /// with the same α and β — and that form's edge cases and accuracy (a few ulp; a −∞ logit gets p = 0 and a zero
    /// gradient; NaN stays in its row). Use it when each token's upstream gradient depends only on that token's figures (PPO,
    /// GRPO, REINFORCE, entropy bonus); use the two-call form when it depends on the whole batch (a normalisation over the
    /// batch's log-probabilities).</para>
    /// <para>Cost: the two-call form's passes (an exp pass that stores the exps — the row's max taken in the previous row's
    /// exp pass for rows up to 16 KB, otherwise a max pass first — then one pass without exp), but the backward finds the
    /// row's logits and exps in cache instead of re-reading them from memory: at 512 × 1000 floats 1.18× the fused
    /// cross-entropy with gradient, against 1.24× for the two calls (AVX2, benchmarks/README.md). No allocation.</para>
    /// <para>All arguments are checked before anything is written. If the objective throws, the rows before it are written.
    /// An objective for REINFORCE with an entropy bonus is shown on <see cref="ITokenObjective{T}"/>.</para>
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException">A target is neither a class nor the ignore index (the message gives its row), or softCap ≤ 0 or NaN.</exception>
    /// <exception cref="ArgumentException">A span is too short, the gradient overlaps the logits, or two outputs overlap; nothing is written.</exception>
    public static void ForwardBackward<T, TObjective>(ReadOnlySpan<T> logits, ReadOnlySpan<int> targets, Span<T> logProbabilities, Span<T> gradient,
        int classCount, TObjective objective, Span<T> entropy = default, int ignoreIndex = -100, double softCap = double.PositiveInfinity,
        int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TObjective : struct, ITokenObjective<T> =>
        Fused(logits, new TargetSpan(targets), logProbabilities, gradient, classCount, objective, entropy, ignoreIndex, softCap, maxDegreeOfParallelism);

    /// <summary>Log-probabilities, entropies and the gradient of a per-token objective in one call, with int64 targets.</summary>
    /// <inheritdoc cref="ForwardBackward{T, TObjective}(ReadOnlySpan{T}, ReadOnlySpan{int}, Span{T}, Span{T}, int, TObjective, Span{T}, int, double, int)"/>
    public static void ForwardBackward<T, TObjective>(ReadOnlySpan<T> logits, ReadOnlySpan<long> targets, Span<T> logProbabilities, Span<T> gradient,
        int classCount, TObjective objective, Span<T> entropy = default, long ignoreIndex = -100, double softCap = double.PositiveInfinity,
        int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TObjective : struct, ITokenObjective<T> =>
        Fused(logits, new TargetSpan(targets), logProbabilities, gradient, classCount, objective, entropy, ignoreIndex, softCap, maxDegreeOfParallelism);

    private static unsafe void Fused<T, TObjective>(ReadOnlySpan<T> logits, TargetSpan targets, Span<T> logProbabilities, Span<T> gradient,
        int classCount, TObjective objective, Span<T> entropy, long ignoreIndex, double softCap, int maxDegreeOfParallelism)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TObjective : struct, ITokenObjective<T>
    {
        int stride = 0;
        int rows = Check<T, T, T>(logits, targets, default, classCount, 0, classCount, logProbabilities, entropy, default, default, gradient,
            ignoreIndex, softCap, maxDegreeOfParallelism, ref stride, default, stored: false, default, storing: true, fused: true);
        if (targets.Length == 0)
        {
            return;
        }
        fixed (T* x = logits)
        fixed (int* t32 = targets.Int32)
        fixed (long* t64 = targets.Int64)
        fixed (T* lp = logProbabilities)
        fixed (T* h = entropy)
        fixed (T* g = gradient)
        {
            var op = TokenOp<T, T, T>(x, targets, t32, t64, stride, classCount, 0, ignoreIndex, softCap) with
            {
                Gradient = g,
                Entropy = entropy.IsEmpty ? null : h,
            };
            var fused = new TokenObjectiveOp<T, TObjective>(in op, rows, lp, objective);
            int groups = ((rows - 1) / TokenObjectiveOp<T, TObjective>.GroupRows) + 1;
            RowDriver.Run<T, TokenObjectiveOp<T, TObjective>>(in fused, groups, TokenObjectiveOp<T, TObjective>.DriverRowLength(classCount), null,
                maxDegreeOfParallelism);
        }
    }
}
