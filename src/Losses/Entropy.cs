using System.Numerics;
using Losses.Kernels;

namespace Losses;

/// <summary>
/// Shannon entropy H(p) = −Σᵢ pᵢ log pᵢ and cross-entropy between distributions H(p, q) = −Σᵢ pᵢ log qᵢ, in any base:
/// from probabilities, from unnormalised counts or weights, and from logits (the entropy of softmax(x) in one fused
/// pass, without materialising the probabilities); perplexity exp(H); and the binary per-element cross-entropy
/// −[p log q + (1 − p) log(1 − q)]. One row, or each row of a row-major [rows × classCount] batch.
/// </summary>
/// <remarks>
/// <para><b>Conventions</b> (SciPy's <c>scipy.special.entr</c>/<c>xlogy</c>): 0 · log 0 = 0, so a zero probability
/// contributes nothing whatever it is paired with; pᵢ &gt; 0 with qᵢ = 0 gives +∞. An empty row has entropy 0.</para>
/// <para><b>Input rules</b>: probabilities, counts and weights must be finite and non-negative, binary probabilities must
/// lie in [0, 1]; otherwise an <see cref="ArgumentException"/> names the argument and the first offending index and value,
/// before anything is written. Logits are not checked: as <see cref="Softmax"/>, a NaN or +∞ logit gives NaN and −∞ is a
/// masked class (probability 0). <see cref="Of{T}(ReadOnlySpan{T}, double)"/> and <see cref="Cross{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, double)"/>
/// use their inputs <i>as is</i> (Σ entr(p), as <c>scipy.special.entr(p).sum()</c>): an input that does not sum to 1 is
/// not rejected and not normalised. <see cref="FromCounts{T}(ReadOnlySpan{T}, double)"/> normalises first, as
/// <c>scipy.stats.entropy</c> does (an all-zero row gives NaN, as SciPy).</para>
/// <para><b>Naming</b>: the cross-entropy <i>between two distributions</i> is <see cref="Cross{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, double)"/>;
/// the training loss with class targets, <c>reduction</c>, <c>weight</c> and gradients is the separate <c>CrossEntropy</c> class.</para>
/// <para><b>Base</b>: <c>logBase</c> is <see cref="Math.E"/> (nats, the default), 2 (bits), 10, or any positive finite
/// base other than 1; the value in nats is divided by ln(base).</para>
/// <para><b>Accuracy</b>: logs and exps within 1–2 ulp, sums without drift (a few ulp independent of the length), lanes
/// combined in double; the result is within a few ulp of H·(1 + κ), where κ is the condition number of the sum (1 for
/// entropy, whose terms are all ≥ 0). From logits, H = log S − Σ e^(x−m)(x−m)/S is a sum of two non-negative terms, so
/// logits of ±1e4 keep full relative accuracy (logsumexp(x) − E[x] would lose all of it in float).</para>
/// </remarks>
/// <seealso cref="KLDivergence"/>
/// <seealso cref="JensenShannon"/>
/// <seealso cref="Softmax"/>
public static partial class Entropy
{
    /// <inheritdoc cref="Of{T}(ReadOnlySpan{T}, double)"/>
    public static T Of<T>(ReadOnlySpan<T> p)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Of(p, Math.E);

    /// <summary>H(p) = −Σᵢ pᵢ log pᵢ of one row of probabilities, used as is.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="p">Probabilities, finite and ≥ 0 (not renormalised; see <see cref="FromCounts{T}(ReadOnlySpan{T}, double)"/>).</param>
    /// <param name="logBase">The logarithm base: <see cref="Math.E"/> (nats), 2 (bits), 10, …</param>
    /// <returns>H(p) in the given base; 0 for an empty row; 0 ≤ H ≤ log n when p sums to 1.</returns>
    /// <exception cref="ArgumentException">An element of <paramref name="p"/> is negative, infinite or NaN.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="logBase"/> is not positive and finite, or is 1.</exception>
    /// <remarks>Equals <c>scipy.special.entr(p).sum() / log(base)</c>; zeros contribute 0.</remarks>
    /// <example>
    /// <code>
    /// double bits = Entropy.Of([0.5, 0.25, 0.25, 0.0], logBase: 2); // 1.5
    /// </code>
    /// </example>
    /// <seealso cref="FromLogits{T}(ReadOnlySpan{T}, double)"/>
    public static T Of<T>(ReadOnlySpan<T> p, double logBase)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Batch.OneRow<T, double>(p, logBase, Of);

    /// <summary>H(p) of each row of a row-major [rows × <paramref name="classCount"/>] batch of probabilities, used as is.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="p">rows × classCount probabilities, finite and ≥ 0.</param>
    /// <param name="destination">At least rows long: one entropy per row.</param>
    /// <param name="classCount">The row length, positive.</param>
    /// <param name="logBase">The logarithm base.</param>
    /// <param name="maxDegreeOfParallelism">1 (default) for one thread, n for up to n threads, −1 for all cores; the result is bitwise the same for any value.</param>
    /// <exception cref="ArgumentException">A bad element (argument and index named), a length that is not a whole number of rows,
    /// a short <paramref name="destination"/>, or a destination partly overlapping <paramref name="p"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classCount"/> is not positive or <paramref name="logBase"/> is invalid.</exception>
    /// <example>
    /// <code>
    /// Span&lt;float&gt; h = stackalloc float[2];
    /// Entropy.Of([1f, 0f, 0.5f, 0.5f], h, classCount: 2); // [0, ln 2]
    /// </code>
    /// </example>
    public static unsafe void Of<T>(ReadOnlySpan<T> p, Span<T> destination, int classCount, double logBase = Math.E, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T scale = Batch.PerRowInBase(p, default, destination, classCount, logBase, maxDegreeOfParallelism, nameof(p), "", DistributionInputs.First);
        Batch.Run(new EntropyOp<T> { Scale = scale }, p, default, default, destination, classCount, maxDegreeOfParallelism);
    }

    /// <inheritdoc cref="FromCounts{T}(ReadOnlySpan{T}, double)"/>
    public static T FromCounts<T>(ReadOnlySpan<T> counts)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        FromCounts(counts, Math.E);

    /// <summary>H(c / Σc) of one row of unnormalised counts or weights (normalised first, as <c>scipy.stats.entropy</c>).</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="counts">Non-negative finite counts or weights.</param>
    /// <param name="logBase">The logarithm base.</param>
    /// <returns>The entropy of the normalised row; 0 for an empty row; NaN for an all-zero row (0/0, as SciPy).</returns>
    /// <exception cref="ArgumentException">An element is negative, infinite or NaN.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="logBase"/> is invalid.</exception>
    /// <remarks>Two passes: Σc, then Σ entr(cᵢ/Σc), which stays accurate when one count dominates. Counts of any finite
    /// magnitude normalise: when Σc overflows or 1/Σc is not a normal number (counts near MaxValue, or subnormal counts
    /// such as 1e-40f or 1e-310), the row is first scaled by a power of two (exact), so [1e-40f, 1e-40f] and [3e38f, 3e38f]
    /// both give ln 2.</remarks>
    /// <example>
    /// <code>
    /// double h = Entropy.FromCounts([3.0, 1.0]); // entropy of [0.75, 0.25] = 0.5623 nats
    /// </code>
    /// </example>
    public static T FromCounts<T>(ReadOnlySpan<T> counts, double logBase)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Batch.OneRow<T, double>(counts, logBase, FromCounts);

    /// <summary>H(c / Σc) of each row of a batch of counts or weights, each row normalised by its own sum.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="counts">rows × classCount non-negative finite counts.</param>
    /// <param name="destination">At least rows long.</param>
    /// <param name="classCount">The row length, positive.</param>
    /// <param name="logBase">The logarithm base.</param>
    /// <param name="maxDegreeOfParallelism">1 (default) for one thread, n for up to n threads, −1 for all cores; the result is bitwise the same for any value.</param>
    /// <exception cref="ArgumentException">A bad element, shape or destination.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classCount"/> or <paramref name="logBase"/> is invalid.</exception>
    /// <example>
    /// <code>
    /// var h = new double[2];
    /// Entropy.FromCounts([3.0, 1.0, 5.0, 5.0], h, classCount: 2); // [0.5623, ln 2]
    /// </code>
    /// </example>
    public static unsafe void FromCounts<T>(ReadOnlySpan<T> counts, Span<T> destination, int classCount, double logBase = Math.E, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T scale = Batch.PerRowInBase(counts, default, destination, classCount, logBase, maxDegreeOfParallelism, nameof(counts), "", DistributionInputs.First);
        Batch.Run(new EntropyOp<T> { Scale = scale, Normalize = true }, counts, default, default, destination, classCount, maxDegreeOfParallelism);
    }

    /// <inheritdoc cref="FromLogits{T}(ReadOnlySpan{T}, double)"/>
    public static T FromLogits<T>(ReadOnlySpan<T> logits)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        FromLogits(logits, Math.E);

    /// <summary>
    /// H(softmax(x)) = log S − Σᵢ e^(xᵢ−m)(xᵢ − m)/S with m = max x and S = Σ e^(x−m): the entropy of the distribution
    /// given by one row of logits: a max pass, then one fused pass (one exp per element), without writing probabilities.
    /// </summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="logits">The row of logits; −∞ masks a class.</param>
    /// <param name="logBase">The logarithm base.</param>
    /// <returns>The entropy in the given base; 0 for an empty row or a single unmasked class; NaN for a NaN or +∞ logit or a fully masked row.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="logBase"/> is invalid.</exception>
    /// <remarks>Equals the entropy of <see cref="Softmax.Forward{T}(ReadOnlySpan{T}, Span{T})"/> to a few ulp, at the cost of one exp per element, about one <c>TensorPrimitives.Exp</c>.</remarks>
    /// <example>
    /// <code>
    /// float h = Entropy.FromLogits([1e4f, 1e4f, float.NegativeInfinity], logBase: 2); // 1 bit
    /// </code>
    /// </example>
    /// <seealso cref="PerplexityFromLogits{T}(ReadOnlySpan{T})"/>
    public static T FromLogits<T>(ReadOnlySpan<T> logits, double logBase)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Batch.OneRow<T, double>(logits, logBase, FromLogits);

    /// <summary>H(softmax(x)) of each row of a row-major batch of logits (a max pass and one fused pass per row).</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="logits">rows × classCount logits.</param>
    /// <param name="destination">At least rows long; may be <paramref name="logits"/> itself.</param>
    /// <param name="classCount">The row length, positive.</param>
    /// <param name="logBase">The logarithm base.</param>
    /// <param name="maxDegreeOfParallelism">1 (default) for one thread, n for up to n threads, −1 for all cores; the result is bitwise the same for any value.</param>
    /// <exception cref="ArgumentException">A bad shape or destination.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classCount"/> or <paramref name="logBase"/> is invalid.</exception>
    /// <example>
    /// <code>
    /// float[] logits = [0f, 0f, 0f, 0f, 1e4f, 0f, 0f, float.NegativeInfinity]; // 2 rows × 4 classes
    /// var entropies = new float[2];
    /// Entropy.FromLogits(logits, entropies, classCount: 4); // [ln 4, 0]: one value per row
    /// </code>
    /// </example>
    public static unsafe void FromLogits<T>(ReadOnlySpan<T> logits, Span<T> destination, int classCount, double logBase = Math.E, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T scale = Batch.PerRowInBase(logits, default, destination, classCount, logBase, maxDegreeOfParallelism, nameof(logits), "", DistributionInputs.None);
        Batch.Run(new EntropyFromLogitsOp<T> { Scale = scale }, logits, default, default, destination, classCount, maxDegreeOfParallelism);
    }

    /// <summary>Perplexity exp(H(p)) of one row of probabilities (used as is): the effective number of equally likely classes.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="p">Probabilities, finite and ≥ 0.</param>
    /// <returns>exp of the entropy in nats (base-independent: b^H_b = e^H_e); 1 for an empty row.</returns>
    /// <exception cref="ArgumentException">An element is negative, infinite or NaN.</exception>
    /// <example><code>double k = Entropy.Perplexity([0.25, 0.25, 0.25, 0.25]); // 4</code></example>
    public static T Perplexity<T>(ReadOnlySpan<T> p)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        T.Exp(Of(p));

    /// <summary>Perplexity exp(H(p)) of each row of a batch of probabilities.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="p">rows × classCount probabilities.</param>
    /// <param name="destination">At least rows long.</param>
    /// <param name="classCount">The row length, positive.</param>
    /// <param name="maxDegreeOfParallelism">1 (default) for one thread, n for up to n threads, −1 for all cores; the result is bitwise the same for any value.</param>
    /// <exception cref="ArgumentException">A bad element, shape or destination.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classCount"/> is not positive.</exception>
    /// <example>
    /// <code>
    /// double[] p = [0.25, 0.25, 0.25, 0.25, 1, 0, 0, 0];
    /// var perplexities = new double[2];
    /// Entropy.Perplexity(p, perplexities, classCount: 4); // [4, 1]
    /// </code>
    /// </example>
    public static unsafe void Perplexity<T>(ReadOnlySpan<T> p, Span<T> destination, int classCount, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Batch.PerRow(p, default, destination, classCount, maxDegreeOfParallelism, nameof(p), "");
        Guard.Probabilities(p, nameof(p));
        Batch.Run(new EntropyOp<T> { Scale = T.One, Exponentiate = true }, p, default, default, destination, classCount, maxDegreeOfParallelism);
    }

    /// <summary>Perplexity exp(H(softmax(x))) of one row of logits (e.g. a language model's per-token perplexity of its own prediction).</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="logits">The row of logits.</param>
    /// <returns>exp of the entropy in nats, between 1 and the number of unmasked classes; NaN as <see cref="FromLogits{T}(ReadOnlySpan{T}, double)"/>.</returns>
    /// <example><code>float k = Entropy.PerplexityFromLogits([0f, 0f, 0f]); // 3</code></example>
    public static T PerplexityFromLogits<T>(ReadOnlySpan<T> logits)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        T.Exp(FromLogits(logits));

    /// <summary>Perplexity exp(H(softmax(x))) of each row of a batch of logits.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="logits">rows × classCount logits.</param>
    /// <param name="destination">At least rows long; may be <paramref name="logits"/> itself.</param>
    /// <param name="classCount">The row length, positive.</param>
    /// <param name="maxDegreeOfParallelism">1 (default) for one thread, n for up to n threads, −1 for all cores; the result is bitwise the same for any value.</param>
    /// <exception cref="ArgumentException">A bad shape or destination.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classCount"/> is not positive.</exception>
    /// <example>
    /// <code>
    /// float[] logits = [0f, 0f, 0f, 5f, 5f, float.NegativeInfinity];
    /// var perplexities = new float[2];
    /// Entropy.PerplexityFromLogits(logits, perplexities, classCount: 3); // [3, 2]
    /// </code>
    /// </example>
    public static unsafe void PerplexityFromLogits<T>(ReadOnlySpan<T> logits, Span<T> destination, int classCount, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Batch.PerRow(logits, default, destination, classCount, maxDegreeOfParallelism, nameof(logits), "");
        Batch.Run(new EntropyFromLogitsOp<T> { Scale = T.One, Exponentiate = true }, logits, default, default, destination, classCount, maxDegreeOfParallelism);
    }

    /// <inheritdoc cref="Cross{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, double)"/>
    public static T Cross<T>(ReadOnlySpan<T> p, ReadOnlySpan<T> q)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Cross(p, q, Math.E);

    /// <summary>
    /// Cross-entropy between two distributions H(p, q) = −Σᵢ pᵢ log qᵢ = H(p) + KL(p ‖ q), for one row of probabilities
    /// p (the true distribution) and q (the predicted one), both used as is.
    /// </summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="p">The true (reference) distribution P, finite and ≥ 0.</param>
    /// <param name="q">The predicted distribution Q, same length, finite and ≥ 0.</param>
    /// <param name="logBase">The logarithm base.</param>
    /// <returns>H(p, q); +∞ where some pᵢ &gt; 0 has qᵢ = 0; 0 for empty rows.</returns>
    /// <exception cref="ArgumentException">Lengths differ, or an element is negative, infinite or NaN.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="logBase"/> is invalid.</exception>
    /// <remarks>Not symmetric: P comes first, as in the notation H(P, Q) and in KL(P ‖ Q).</remarks>
    /// <example><code>double h = Entropy.Cross([1.0, 0.0], [0.5, 0.5], logBase: 2); // 1 bit</code></example>
    /// <seealso cref="KLDivergence.Of{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, double)"/>
    public static T Cross<T>(ReadOnlySpan<T> p, ReadOnlySpan<T> q, double logBase)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Batch.OneRow<T, double>(p, q, logBase, Cross);

    /// <summary>H(p, q) of each row pair of two row-major batches.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="p">rows × classCount true probabilities.</param>
    /// <param name="q">rows × classCount predicted probabilities.</param>
    /// <param name="destination">At least rows long.</param>
    /// <param name="classCount">The row length, positive.</param>
    /// <param name="logBase">The logarithm base.</param>
    /// <param name="maxDegreeOfParallelism">1 (default) for one thread, n for up to n threads, −1 for all cores; the result is bitwise the same for any value.</param>
    /// <exception cref="ArgumentException">A bad element, shape or destination.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classCount"/> or <paramref name="logBase"/> is invalid.</exception>
    /// <example>
    /// <code>
    /// double[] p = [1, 0, 0.5, 0.5];
    /// double[] q = [0.5, 0.5, 0.5, 0.5];
    /// var h = new double[2];
    /// Entropy.Cross(p, q, h, classCount: 2, logBase: 2); // [1, 1] bit
    /// </code>
    /// </example>
    public static unsafe void Cross<T>(ReadOnlySpan<T> p, ReadOnlySpan<T> q, Span<T> destination, int classCount, double logBase = Math.E, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T scale = Batch.PerRowInBase(p, q, destination, classCount, logBase, maxDegreeOfParallelism, nameof(p), nameof(q), DistributionInputs.Both);
        Batch.Run(new CrossOp<T> { Scale = scale }, p, q, default, destination, classCount, maxDegreeOfParallelism);
    }

    /// <inheritdoc cref="CrossFromLogits{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, double)"/>
    public static T CrossFromLogits<T>(ReadOnlySpan<T> p, ReadOnlySpan<T> logitsQ)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        CrossFromLogits(p, logitsQ, Math.E);

    /// <summary>
    /// H(p, softmax(x)) = Σp · log S − Σᵢ pᵢ (xᵢ − m) for one row of probabilities p and logits x of Q, in one fused pass
    /// (the soft-label cross-entropy). p is used as is.
    /// </summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="p">The true distribution P, finite and ≥ 0.</param>
    /// <param name="logitsQ">Logits of the predicted distribution Q, same length; −∞ masks a class.</param>
    /// <param name="logBase">The logarithm base.</param>
    /// <returns>H(p, softmax(logitsQ)); +∞ if p &gt; 0 on a masked class; NaN for a NaN or +∞ logit.</returns>
    /// <exception cref="ArgumentException">Lengths differ, or an element of <paramref name="p"/> is bad.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="logBase"/> is invalid.</exception>
    /// <example><code>float h = Entropy.CrossFromLogits([0.5f, 0.5f], [1e4f, 1e4f]); // ln 2</code></example>
    public static T CrossFromLogits<T>(ReadOnlySpan<T> p, ReadOnlySpan<T> logitsQ, double logBase)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Batch.OneRow<T, double>(p, logitsQ, logBase, CrossFromLogits);

    /// <summary>H(p, softmax(x)) of each row pair of a batch of probabilities and a batch of logits.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="p">rows × classCount probabilities.</param>
    /// <param name="logitsQ">rows × classCount logits of Q.</param>
    /// <param name="destination">At least rows long.</param>
    /// <param name="classCount">The row length, positive.</param>
    /// <param name="logBase">The logarithm base.</param>
    /// <param name="maxDegreeOfParallelism">1 (default) for one thread, n for up to n threads, −1 for all cores; the result is bitwise the same for any value.</param>
    /// <exception cref="ArgumentException">A bad element, shape or destination.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classCount"/> or <paramref name="logBase"/> is invalid.</exception>
    /// <example>
    /// <code>
    /// float[] softLabels = [0.9f, 0.1f, 0.5f, 0.5f];
    /// float[] logits = [2f, 0f, 1e4f, 1e4f];
    /// var h = new float[2];
    /// Entropy.CrossFromLogits(softLabels, logits, h, classCount: 2); // [0.3269, ln 2]
    /// </code>
    /// </example>
    public static unsafe void CrossFromLogits<T>(ReadOnlySpan<T> p, ReadOnlySpan<T> logitsQ, Span<T> destination, int classCount, double logBase = Math.E, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T scale = Batch.PerRowInBase(p, logitsQ, destination, classCount, logBase, maxDegreeOfParallelism, nameof(p), nameof(logitsQ), DistributionInputs.First);
        Batch.Run(new CrossFromLogitsOp<T> { Scale = scale }, p, logitsQ, default, destination, classCount, maxDegreeOfParallelism);
    }

    /// <summary>
    /// Σᵢ −[pᵢ log qᵢ + (1 − pᵢ) log(1 − qᵢ)]: the binary cross-entropy of independent Bernoulli distributions, summed
    /// over the elements (in nats).
    /// </summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="p">True probabilities of the positive outcome, each in [0, 1].</param>
    /// <param name="q">Predicted probabilities, each in [0, 1], same length.</param>
    /// <returns>The sum; +∞ where a q of 0 or 1 contradicts p; 0 for empty input.</returns>
    /// <exception cref="ArgumentException">Lengths differ, or an element lies outside [0, 1] or is NaN.</exception>
    /// <remarks>Unlike PyTorch's <c>binary_cross_entropy</c>, logs are not clamped at −100: q = 0 with p &gt; 0 gives +∞,
    /// never a silent 100. log(1 − q) is computed as log1p(−q) for accuracy near q = 0.</remarks>
    /// <example><code>double h = Entropy.BinaryCross([1.0, 0.0], [0.9, 0.2]); // −ln 0.9 − ln 0.8</code></example>
    public static T BinaryCross<T>(ReadOnlySpan<T> p, ReadOnlySpan<T> q)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        BinaryCross(p, q, default, logits: false, nameof(q));

    /// <summary>Writes −[pᵢ log qᵢ + (1 − pᵢ) log(1 − qᵢ)] for each element and returns their sum.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="p">True probabilities, each in [0, 1].</param>
    /// <param name="q">Predicted probabilities, each in [0, 1], same length.</param>
    /// <param name="destination">At least as long as <paramref name="p"/>; may be <paramref name="p"/> or <paramref name="q"/> itself.</param>
    /// <returns>The sum of the written values.</returns>
    /// <exception cref="ArgumentException">Lengths differ, a bad element, or a short or partly overlapping destination.</exception>
    /// <example>
    /// <code>
    /// double[] labels = [1, 0];
    /// double[] predictions = [0.9, 0.2];
    /// var perElement = new double[2];
    /// double total = Entropy.BinaryCross(labels, predictions, perElement); // perElement = [−ln 0.9, −ln 0.8]
    /// </code>
    /// </example>
    public static T BinaryCross<T>(ReadOnlySpan<T> p, ReadOnlySpan<T> q, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        BinaryCross(p, q, destination, logits: false, nameof(q), requireDestination: true);

    /// <summary>
    /// Σᵢ −[pᵢ log σ(xᵢ) + (1 − pᵢ) log(1 − σ(xᵢ))] from logits x of q, computed as max(x, 0) − p·x + log1p(e^−|x|),
    /// which never overflows.
    /// </summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="p">True probabilities, each in [0, 1].</param>
    /// <param name="logitsQ">Logits of the predicted probabilities, same length.</param>
    /// <returns>The sum; x = ±∞ gives 0 for the matching hard label and +∞ otherwise; NaN for a NaN logit.</returns>
    /// <exception cref="ArgumentException">Lengths differ, or an element of <paramref name="p"/> is outside [0, 1].</exception>
    /// <example><code>float h = Entropy.BinaryCrossFromLogits([1f], [1e4f]); // 0</code></example>
    public static T BinaryCrossFromLogits<T>(ReadOnlySpan<T> p, ReadOnlySpan<T> logitsQ)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        BinaryCross(p, logitsQ, default, logits: true, nameof(logitsQ));

    /// <summary>Writes the binary cross-entropy from logits for each element and returns the sum.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="p">True probabilities, each in [0, 1].</param>
    /// <param name="logitsQ">Logits of the predicted probabilities, same length.</param>
    /// <param name="destination">At least as long as <paramref name="p"/>; may be either input itself.</param>
    /// <returns>The sum of the written values.</returns>
    /// <exception cref="ArgumentException">Lengths differ, a bad element, or a short or partly overlapping destination.</exception>
    /// <example>
    /// <code>
    /// float[] labels = [1f, 0f];
    /// float[] logits = [1e4f, 0f];
    /// var perElement = new float[2];
    /// float total = Entropy.BinaryCrossFromLogits(labels, logits, perElement); // perElement = [0, ln 2]
    /// </code>
    /// </example>
    public static T BinaryCrossFromLogits<T>(ReadOnlySpan<T> p, ReadOnlySpan<T> logitsQ, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        BinaryCross(p, logitsQ, destination, logits: true, nameof(logitsQ), requireDestination: true);

    private static unsafe T BinaryCross<T>(ReadOnlySpan<T> p, ReadOnlySpan<T> q, Span<T> destination, bool logits, string qName, bool requireDestination = false)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Guard.FloatOrDouble<T>();
        Guard.SameLength(p.Length, q.Length, qName, nameof(p));
        if (requireDestination)
        {
            Guard.DestinationLength(p.Length, destination.Length, nameof(destination));
            destination = destination[..p.Length];
            Guard.InPlaceOrApart<T>(p, destination, nameof(p), nameof(destination));
            Guard.InPlaceOrApart<T>(q, destination, qName, nameof(destination));
        }
        Guard.UnitInterval(p, nameof(p));
        if (!logits)
        {
            Guard.UnitInterval(q, qName);
        }
        fixed (T* x = p)
        fixed (T* y = q)
        fixed (T* d = destination)
        {
            var op = new BinaryCrossOp<T> { P = x, Q = y, Destination = requireDestination ? d : null, Length = p.Length, Logits = logits };
            return Batch.One<T, BinaryCrossOp<T>>(in op, p.Length);
        }
    }
}
