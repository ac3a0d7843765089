using System.Numerics;
using Losses.Kernels;

namespace Losses;

/// <summary>Mean squared error ℓᵢ = (xᵢ − yᵢ)², elementwise, as PyTorch's <c>F.mse_loss</c>, with gradient 2(xᵢ − yᵢ)·r.</summary>
/// <remarks>Reductions: None (per element; returns the sum), Mean (÷ n; r = 1/n), Sum. NaN and ±∞ propagate per element
/// (∞ − ∞ = NaN). Multi-core as <see cref="CrossEntropy"/>: fixed blocks, bitwise identical for any thread count.</remarks>
/// <seealso cref="HuberLoss"/>
/// <seealso cref="SmoothL1Loss"/>
public static partial class MeanSquaredError
{
    /// <summary>Computes Σ or mean of (input − targets)² and optionally its gradient and the per-element losses.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="input">Predictions, any length n.</param>
    /// <param name="targets">n targets.</param>
    /// <param name="gradient">Empty, or at least n: receives ∂loss/∂input. May be <paramref name="input"/> itself.</param>
    /// <param name="reduction">None, Mean (default) or Sum.</param>
    /// <param name="losses">With <see cref="Reduction.None"/>: at least n long.</param>
    /// <param name="maxDegreeOfParallelism">1 (default), n threads, or −1 for all cores.</param>
    /// <returns>The reduced loss (for None, the sum of the losses).</returns>
    /// <exception cref="ArgumentException">Lengths disagree or a destination is too short.</exception>
    /// <exception cref="ArgumentOutOfRangeException">reduction or maxDegreeOfParallelism is out of range.</exception>
    /// <example>
    /// <code>
    /// double mse = MeanSquaredError.Forward&lt;double&gt;([1.0, 2.0], [0.0, 4.0]); // (1 + 4) / 2
    /// </code>
    /// </example>
    public static T Forward<T>(ReadOnlySpan<T> input, ReadOnlySpan<T> targets, Span<T> gradient = default,
        Reduction reduction = Reduction.Mean, Span<T> losses = default, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Guard.FloatOrDouble<T>();
        Reductions.Check(reduction);
        return Batch.Elementwise(input, targets, gradient, reduction, losses, default, default, new MeanSquaredErrorTerm<T>(),
            1, maxDegreeOfParallelism, nameof(input), nameof(targets));
    }
}
