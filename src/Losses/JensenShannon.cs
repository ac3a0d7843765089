using System.Numerics;
using Losses.Kernels;

namespace Losses;

/// <summary>
/// The Jensen–Shannon divergence JS(P, Q) = ½ D(P ‖ M) + ½ D(Q ‖ M) with M = (P + Q)/2: a symmetric, always finite
/// smoothing of the KL divergence, bounded by log 2 (1 bit), and its square root, the Jensen–Shannon distance (a metric).
/// </summary>
/// <remarks>
/// <para><b>Normalisation</b>: as <c>scipy.spatial.distance.jensenshannon</c>, both rows are divided by their sums first,
/// so counts and weights may be passed directly (of any finite magnitude, scaled by a power of two first when their sum or
/// its reciprocal is not a normal number); an all-zero row gives NaN (0/0, as SciPy). Elements must be finite and
/// non-negative; otherwise an <see cref="ArgumentException"/> names the argument, index and value.</para>
/// <para><b>Conventions</b>: 0 · log 0 = 0; disjoint supports give log 2 (never +∞, also for subnormal masses: log M is
/// computed as log(P + Q) − log 2, since (P + Q)/2 would underflow to 0 for P + Q = ε); identical rows give 0.
/// Empty rows give 0.</para>
/// <para><b>Accuracy</b>: three logs per element within 1–2 ulp and a drift-free sum; the result is clamped at 0 from
/// below (rounding can otherwise make it −1 ulp for identical rows). As for KL, relative accuracy degrades when P ≈ Q
/// (the divergence is then second order in P − Q while the terms are first order).</para>
/// </remarks>
/// <seealso cref="KLDivergence"/>
/// <seealso cref="Entropy"/>
public static partial class JensenShannon
{
    /// <inheritdoc cref="Divergence{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, double)"/>
    public static T Divergence<T>(ReadOnlySpan<T> p, ReadOnlySpan<T> q)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Divergence(p, q, Math.E);

    /// <summary>JS(P, Q) = ½ Σᵢ [pᵢ log(2pᵢ/(pᵢ+qᵢ)) + qᵢ log(2qᵢ/(pᵢ+qᵢ))] of one row pair, after normalising each to sum 1.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="p">P (probabilities, counts or weights), finite, ≥ 0.</param>
    /// <param name="q">Q, same length, finite, ≥ 0.</param>
    /// <param name="logBase">The logarithm base: <see cref="Math.E"/> (nats; JS ≤ ln 2), 2 (bits; JS ≤ 1), …</param>
    /// <returns>The divergence, 0 ≤ JS ≤ log 2, symmetric in P and Q.</returns>
    /// <exception cref="ArgumentException">Lengths differ, or an element is negative, infinite or NaN.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="logBase"/> is invalid.</exception>
    /// <example><code>double js = JensenShannon.Divergence([1.0, 0.0], [0.0, 1.0], logBase: 2); // 1</code></example>
    public static T Divergence<T>(ReadOnlySpan<T> p, ReadOnlySpan<T> q, double logBase)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Batch.OneRow<T, double>(p, q, logBase, Divergence);

    /// <summary>JS(P, Q) of each row pair of two row-major [rows × <paramref name="classCount"/>] batches, each row normalised.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="p">rows × classCount P.</param>
    /// <param name="q">rows × classCount Q.</param>
    /// <param name="destination">At least rows long.</param>
    /// <param name="classCount">The row length, positive.</param>
    /// <param name="logBase">The logarithm base.</param>
    /// <param name="maxDegreeOfParallelism">1 (default) for one thread, n for up to n threads, −1 for all cores; the result is bitwise the same for any value.</param>
    /// <exception cref="ArgumentException">A bad element, shape or destination.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classCount"/> or <paramref name="logBase"/> is invalid.</exception>
    /// <example>
    /// <code>
    /// double[] p = [1, 0, 0.5, 0.5];
    /// double[] q = [0, 1, 0.5, 0.5];
    /// var perRow = new double[2];
    /// JensenShannon.Divergence(p, q, perRow, classCount: 2, logBase: 2); // [1, 0] bit
    /// </code>
    /// </example>
    public static unsafe void Divergence<T>(ReadOnlySpan<T> p, ReadOnlySpan<T> q, Span<T> destination, int classCount, double logBase = Math.E, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T scale = Batch.PerRowInBase(p, q, destination, classCount, logBase, maxDegreeOfParallelism, nameof(p), nameof(q), DistributionInputs.Both);
        Batch.Run(new JensenShannonOp<T> { Scale = scale }, p, q, default, destination, classCount, maxDegreeOfParallelism);
    }

    /// <inheritdoc cref="Distance{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, double)"/>
    public static T Distance<T>(ReadOnlySpan<T> p, ReadOnlySpan<T> q)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Distance(p, q, Math.E);

    /// <summary>The Jensen–Shannon distance √JS(P, Q) of one row pair: exactly <c>scipy.spatial.distance.jensenshannon(p, q, base)</c>.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="p">P, finite, ≥ 0 (normalised internally).</param>
    /// <param name="q">Q, same length, finite, ≥ 0.</param>
    /// <param name="logBase">The logarithm base of the divergence under the root.</param>
    /// <returns>0 ≤ distance ≤ √log 2; a metric on distributions.</returns>
    /// <exception cref="ArgumentException">Lengths differ, or an element is bad.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="logBase"/> is invalid.</exception>
    /// <example><code>double d = JensenShannon.Distance([1.0, 0.0], [0.5, 0.5], logBase: 2); // 0.5579</code></example>
    public static T Distance<T>(ReadOnlySpan<T> p, ReadOnlySpan<T> q, double logBase)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Batch.OneRow<T, double>(p, q, logBase, Distance);

    /// <summary>The Jensen–Shannon distance of each row pair of two batches.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="p">rows × classCount P.</param>
    /// <param name="q">rows × classCount Q.</param>
    /// <param name="destination">At least rows long.</param>
    /// <param name="classCount">The row length, positive.</param>
    /// <param name="logBase">The logarithm base.</param>
    /// <param name="maxDegreeOfParallelism">1 (default) for one thread, n for up to n threads, −1 for all cores; the result is bitwise the same for any value.</param>
    /// <exception cref="ArgumentException">A bad element, shape or destination.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classCount"/> or <paramref name="logBase"/> is invalid.</exception>
    /// <example>
    /// <code>
    /// double[] p = [1, 0, 0.5, 0.5];
    /// double[] q = [0, 1, 0.5, 0.5];
    /// var perRow = new double[2];
    /// JensenShannon.Distance(p, q, perRow, classCount: 2); // [√(ln 2), 0]
    /// </code>
    /// </example>
    public static unsafe void Distance<T>(ReadOnlySpan<T> p, ReadOnlySpan<T> q, Span<T> destination, int classCount, double logBase = Math.E, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T scale = Batch.PerRowInBase(p, q, destination, classCount, logBase, maxDegreeOfParallelism, nameof(p), nameof(q), DistributionInputs.Both);
        Batch.Run(new JensenShannonOp<T> { Scale = scale, SquareRoot = true }, p, q, default, destination, classCount, maxDegreeOfParallelism);
    }
}
