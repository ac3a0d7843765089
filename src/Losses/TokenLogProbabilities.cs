using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Runtime.InteropServices;
using Losses.Kernels;

namespace Losses;

/// <summary>
/// Per-token log-probabilities log softmax(xᵢ)[tᵢ] and entropies H(softmax(xᵢ)) of a row-major [rows × classCount] batch of
/// logits, and their gradient with respect to the logits for upstream gradients of both — what a policy-gradient loss
/// (PPO, GRPO) back-propagates — without ever forming a log-softmax buffer.
/// </summary>
/// <remarks>
/// <para>Per row, with capped logits x̃ (c·tanh(x/c), or x when <c>softCap</c> = +∞), M = max x̃, S = Σ exp(x̃ − M):
/// log p_t = (x̃_t − M) − log S, H = log S − Σ exp(x̃ − M)·(x̃ − M)/S = −Σ p log p. As PyTorch's
/// <c>log_softmax(x).gather(-1, t)</c> and <c>-(softmax(x) * log_softmax(x)).sum(-1)</c>.</para>
/// <para>Gradient for upstream α = ∂L/∂log p_t and β = ∂L/∂H: ∂L/∂x_j = cap′(x_j)·(α·[j = t] − p_j·(α + β·H + β·log p_j)).</para>
/// <para>Edge cases: a −∞ (masked) logit has p = 0 and contributes 0 to H and its gradient (0·log 0 = 0); the target's
/// log-probability is −∞ when its logit is. Rows whose target is the ignore index get 0 and a zero gradient (padding).
/// NaN in a row makes that row's outputs NaN. The cap keeps −∞ masked (see <see cref="CrossEntropySlices"/>).</para>
/// <para>Cost: one pass with one exp per element to read; a max pass and one pass with one exp per element to write the
/// gradient. Forward and backward together are faster in the storing form (Forward with partials and a gradient buffer, then
/// Backward with the partials): the forward leaves the exps in the gradient (and sums E with one multiply-add per element
/// more), and the backward rescales them in one pass without exp or log: with p_j·log p_j = (e_j/S)·(d_j − log S) folded
/// into two scales per row, g_j = e_j·(s + s′·d_j) (d_j = x̃_j − M), one multiply-add and one multiply per element (d is
/// floored, one operation more, only in slices whose forward saw a −∞ logit). Values are accumulated per lane with
/// compensation, combined in double: a few ulp. No allocation.</para>
/// <para>Accuracy near certainty: log S is the log of S = 1 + δ rounded to the element type, so a log-probability close to 0
/// (a confident token), the entropy of a confident row and the gradient at its target have an absolute error of up to about
/// an ulp of 1 (1.2e-7 in float, 2.2e-16 in double), as PyTorch's log_softmax: float [20, 0, 0, 0] with target 0 gives
/// log p_t = 0 for −6.18e-9 and H = 1.2367e-7 for 1.2985e-7 (PyTorch float32 gives the same); values about 1 or larger are
/// within a few ulp.</para>
/// </remarks>
/// <example>
/// <code>
/// float[] logits = [2f, 0f, 1f, -1f,   0f, 3f, 0f, 0f];      // 2 rows × 4 classes
/// int[] sampled = [0, 1];
/// var logProbs = new float[2];
/// var entropy = new float[2];
/// TokenLogProbabilities.Forward&lt;float&gt;(logits, sampled, logProbs, classCount: 4, entropy);
/// // ratio = exp(logProbs − oldLogProbs); dLoss/dLogProbs and dLoss/dEntropy from the PPO objective, then:
/// float[] dLogProbs = [-0.5f, -0.5f], dEntropy = [-0.01f, -0.01f];
/// var gradient = new float[logits.Length];
/// TokenLogProbabilities.Backward&lt;float&gt;(logits, sampled, dLogProbs, dEntropy, gradient, 4);
/// </code>
/// </example>
/// <seealso cref="CrossEntropySlices"/>
/// <seealso cref="LogSoftmax"/>
/// <seealso cref="Entropy"/>
[SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters",
    Justification = "Overloads differ only in the element types of their required spans (T, Half, bfloat16 logits; int or long targets; Half or float gradient), with the same optional parameters in the same order.")]
public static partial class TokenLogProbabilities
{
    /// <summary>log softmax(xᵢ)[tᵢ] per row, and optionally the entropy of softmax(xᵢ).</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="logits">rows × classCount logits, row-major.</param>
    /// <param name="targets">One class index per row (the sampled token), or <paramref name="ignoreIndex"/>.</param>
    /// <param name="logProbabilities">At least rows long: receives log p_t.</param>
    /// <param name="classCount">C, positive.</param>
    /// <param name="entropy">Empty, or at least rows long: receives H.</param>
    /// <param name="ignoreIndex">Rows with this target get 0 (default −100).</param>
    /// <param name="softCap">c &gt; 0 of the soft-cap c·tanh(x/c); +∞ (default) for none.</param>
    /// <param name="maxDegreeOfParallelism">1 (default) for one thread, n for up to n threads, −1 for all cores; the result is bitwise the same for any value.</param>
    /// <exception cref="ArgumentOutOfRangeException">A target is neither a class nor the ignore index (the message gives its row), or softCap ≤ 0 or NaN.</exception>
    /// <exception cref="ArgumentException">A span is too short, or an output overlaps an input (the targets included) or the
    /// other output; nothing is written.</exception>
    public static void Forward<T>(ReadOnlySpan<T> logits, ReadOnlySpan<int> targets, Span<T> logProbabilities, int classCount,
        Span<T> entropy = default, int ignoreIndex = -100, double softCap = double.PositiveInfinity, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Run<T, T, T>(logits, new TargetSpan(targets), default, classCount, 0, classCount, logProbabilities, entropy, default, default, default, ignoreIndex, softCap, maxDegreeOfParallelism);

    /// <summary>log softmax(xᵢ)[tᵢ] and entropies, with int64 targets.</summary>
    /// <inheritdoc cref="Forward{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, Span{T}, int, Span{T}, int, double, int)"/>
    public static void Forward<T>(ReadOnlySpan<T> logits, ReadOnlySpan<long> targets, Span<T> logProbabilities, int classCount,
        Span<T> entropy = default, long ignoreIndex = -100, double softCap = double.PositiveInfinity, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Run<T, T, T>(logits, new TargetSpan(targets), default, classCount, 0, classCount, logProbabilities, entropy, default, default, default, ignoreIndex, softCap, maxDegreeOfParallelism);

    /// <summary>log softmax and entropies of Half logits (read as float; arithmetic in float).</summary>
    /// <inheritdoc cref="Forward{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, Span{T}, int, Span{T}, int, double, int)"/>
    public static void Forward(ReadOnlySpan<Half> logits, ReadOnlySpan<long> targets, Span<float> logProbabilities, int classCount,
        Span<float> entropy = default, long ignoreIndex = -100, double softCap = double.PositiveInfinity, int maxDegreeOfParallelism = 1) =>
        Run<float, Half, float>(logits, new TargetSpan(targets), default, classCount, 0, classCount, logProbabilities, entropy, default, default, default, ignoreIndex, softCap, maxDegreeOfParallelism);

    /// <summary>log softmax and entropies of bfloat16 logits (read as float; arithmetic in float).</summary>
    /// <inheritdoc cref="Forward{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, Span{T}, int, Span{T}, int, double, int)"/>
    public static void Forward(ReadOnlySpan<BFloat16> logits, ReadOnlySpan<long> targets, Span<float> logProbabilities, int classCount,
        Span<float> entropy = default, long ignoreIndex = -100, double softCap = double.PositiveInfinity, int maxDegreeOfParallelism = 1) =>
        Run<float, BFloat16, float>(logits, new TargetSpan(targets), default, classCount, 0, classCount, logProbabilities, entropy, default, default, default, ignoreIndex, softCap, maxDegreeOfParallelism);

    /// <summary>The gradient with respect to the logits of α·log p_t + β·H summed over rows, for upstream gradients α and β per row.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="logits">rows × classCount logits.</param>
    /// <param name="targets">The targets given to Forward.</param>
    /// <param name="logProbabilityGradient">Empty (α = 0), or rows long: α = ∂L/∂log p_t per row.</param>
    /// <param name="entropyGradient">Empty (β = 0), or rows long: β = ∂L/∂H per row.</param>
    /// <param name="gradient">rows × classCount: receives ∂L/∂logits; may be the logits themselves.</param>
    /// <param name="classCount">C.</param>
    /// <param name="ignoreIndex">Rows with this target get a zero gradient.</param>
    /// <param name="softCap">c as given to Forward.</param>
    /// <param name="maxDegreeOfParallelism">1 (default) for one thread, n for up to n threads, −1 for all cores; the result is bitwise the same for any value.</param>
    /// <exception cref="ArgumentOutOfRangeException">A target is out of range, or softCap ≤ 0 or NaN.</exception>
    /// <exception cref="ArgumentException">A span is too short or overlaps; nothing is written.</exception>
    public static void Backward<T>(ReadOnlySpan<T> logits, ReadOnlySpan<int> targets, ReadOnlySpan<T> logProbabilityGradient,
        ReadOnlySpan<T> entropyGradient, Span<T> gradient, int classCount, int ignoreIndex = -100, double softCap = double.PositiveInfinity,
        int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Run(logits, new TargetSpan(targets), default, classCount, 0, classCount, default, default, logProbabilityGradient, entropyGradient, gradient, ignoreIndex, softCap, maxDegreeOfParallelism);

    /// <summary>The gradient for upstream gradients, with int64 targets.</summary>
    /// <inheritdoc cref="Backward{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, int, int, double, int)"/>
    public static void Backward<T>(ReadOnlySpan<T> logits, ReadOnlySpan<long> targets, ReadOnlySpan<T> logProbabilityGradient,
        ReadOnlySpan<T> entropyGradient, Span<T> gradient, int classCount, long ignoreIndex = -100, double softCap = double.PositiveInfinity,
        int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Run(logits, new TargetSpan(targets), default, classCount, 0, classCount, default, default, logProbabilityGradient, entropyGradient, gradient, ignoreIndex, softCap, maxDegreeOfParallelism);

    /// <summary>
    /// log softmax(xᵢ)[tᵢ] and optionally the entropies, storing each row's exps e = exp(x̃ − M) into the gradient buffer and
    /// its partial into <paramref name="partials"/>, so that the backward
    /// (<see cref="Backward{T}(ReadOnlySpan{T}, ReadOnlySpan{VocabularyPartial}, ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, int, double, int)"/>) only rescales them: the fast form for a forward followed by a backward.
    /// </summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="logits">rows × classCount logits, row-major.</param>
    /// <param name="targets">One class index per row (the sampled token), or <paramref name="ignoreIndex"/>.</param>
    /// <param name="logProbabilities">At least rows long: receives log p_t.</param>
    /// <param name="partials">At least rows long: receives each row's partial (M, S, the entropy's moment; marked as stored), for the backward.</param>
    /// <param name="gradient">rows × classCount: receives the exps of every counted row (rows with the ignore index are left
    /// as they are). May be the logits themselves without a soft-cap only when the backward has no entropy term
    /// (β empty): the entropy's term reads the logits. Otherwise apart from them.</param>
    /// <param name="classCount">C, positive.</param>
    /// <param name="entropy">Empty, or at least rows long: receives H.</param>
    /// <param name="ignoreIndex">Rows with this target get 0 (default −100).</param>
    /// <param name="softCap">c &gt; 0 of the soft-cap c·tanh(x/c); +∞ (default) for none.</param>
    /// <param name="maxDegreeOfParallelism">1 (default) for one thread, n for up to n threads, −1 for all cores; the result is bitwise the same for any value.</param>
    /// <remarks>
    /// <para>The contract: the gradient buffer must hold the exps unchanged until the backward, which is given these
    /// partials. Partials of the plain forward or of another batch are refused by the backward (the message names the row);
    /// a gradient buffer overwritten in between is not detected (that would cost a pass) and gives a wrong gradient.</para>
    /// <para>Log-probabilities and entropies equal the plain forward's within a few ulp (the max is taken in a first pass
    /// here, online there); the gradient equals the plain backward's within a few ulp. Edge cases as the plain forward.</para>
    /// <para>Cost: a max pass and one pass with one exp per element that writes the exps; the backward is one pass without
    /// exp. No allocation.</para>
    /// </remarks>
    /// <example>
    /// <code>
    /// float[] logits = [2f, 0f, 1f, -1f,   0f, 3f, 0f, 0f];      // 2 rows × 4 classes
    /// int[] sampled = [0, 1];
    /// var logProbs = new float[2];
    /// var entropy = new float[2];
    /// var partials = new VocabularyPartial[2];
    /// var gradient = new float[logits.Length];                  // holds the exps until the backward
    /// TokenLogProbabilities.Forward&lt;float&gt;(logits, sampled, logProbs, partials, gradient, classCount: 4, entropy);
    /// float[] dLogProbs = [-0.5f, -0.5f], dEntropy = [-0.01f, -0.01f];
    /// TokenLogProbabilities.Backward&lt;float&gt;(logits, partials, dLogProbs, dEntropy, gradient, 4);   // rescales them
    /// </code>
    /// </example>
    /// <exception cref="ArgumentOutOfRangeException">A target is neither a class nor the ignore index (the message gives its row), or softCap ≤ 0 or NaN.</exception>
    /// <exception cref="ArgumentException">A span is too short, or the gradient partially overlaps the logits (at all with a soft-cap), or overlaps another output; nothing is written.</exception>
    public static void Forward<T>(ReadOnlySpan<T> logits, ReadOnlySpan<int> targets, Span<T> logProbabilities, Span<VocabularyPartial> partials,
        Span<T> gradient, int classCount, Span<T> entropy = default, int ignoreIndex = -100, double softCap = double.PositiveInfinity,
        int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Run<T, T, T>(logits, new TargetSpan(targets), default, classCount, 0, classCount, logProbabilities, entropy, default, default, gradient, ignoreIndex,
            softCap, maxDegreeOfParallelism, partialsOut: partials, storing: true);

    /// <summary>log softmax(xᵢ)[tᵢ] and entropies, storing the exps for the backward, with int64 targets.</summary>
    /// <inheritdoc cref="Forward{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, Span{T}, Span{VocabularyPartial}, Span{T}, int, Span{T}, int, double, int)"/>
    public static void Forward<T>(ReadOnlySpan<T> logits, ReadOnlySpan<long> targets, Span<T> logProbabilities, Span<VocabularyPartial> partials,
        Span<T> gradient, int classCount, Span<T> entropy = default, long ignoreIndex = -100, double softCap = double.PositiveInfinity,
        int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Run<T, T, T>(logits, new TargetSpan(targets), default, classCount, 0, classCount, logProbabilities, entropy, default, default, gradient, ignoreIndex,
            softCap, maxDegreeOfParallelism, partialsOut: partials, storing: true);

    /// <summary>
    /// The gradient with respect to the logits of α·log p_t + β·H, from the exps the storing forward
    /// (<see cref="Forward{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, Span{T}, Span{VocabularyPartial}, Span{T}, int, Span{T}, int, double, int)"/>) left in <paramref name="gradient"/>: one pass without exp,
    /// g_j = cap′(x_j)·(α·[j = t] − p_j·(α + β·H + β·log p_j)) with p_j = e_j/S and log p_j = x̃_j − M − log S.
    /// </summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="logits">rows × classCount logits; read for the entropy's log p_j and the cap's derivative (not at all without either).</param>
    /// <param name="partials">The partials the storing forward wrote (checked: marked as stored, C columns).</param>
    /// <param name="logProbabilityGradient">Empty (α = 0), or rows long: α = ∂L/∂log p_t per row.</param>
    /// <param name="entropyGradient">Empty (β = 0), or rows long: β = ∂L/∂H per row.</param>
    /// <param name="gradient">rows × classCount, holding the stored exps: receives ∂L/∂logits.</param>
    /// <param name="classCount">C.</param>
    /// <param name="softCap">c as given to Forward.</param>
    /// <param name="maxDegreeOfParallelism">1 (default) for one thread, n for up to n threads, −1 for all cores; the result is bitwise the same for any value.</param>
    /// <remarks>Rows whose target was the ignore index get a zero gradient. A masked (−∞) logit gets 0. Equals the plain
    /// backward within a few ulp. No allocation.</remarks>
    /// <exception cref="ArgumentException">Partials not written by the storing forward, incomplete, or of another length; a span
    /// too short; the gradient in place with the logits while β or a cap needs them; nothing is written.</exception>
    /// <exception cref="ArgumentOutOfRangeException">softCap ≤ 0 or NaN.</exception>
    public static void Backward<T>(ReadOnlySpan<T> logits, ReadOnlySpan<VocabularyPartial> partials, ReadOnlySpan<T> logProbabilityGradient,
        ReadOnlySpan<T> entropyGradient, Span<T> gradient, int classCount, double softCap = double.PositiveInfinity, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CrossEntropySlices.CheckComplete(partials, classCount, moment: !entropyGradient.IsEmpty);
        Run(logits, default, partials, classCount, 0, classCount, default, default, logProbabilityGradient, entropyGradient, gradient, 0, softCap,
            maxDegreeOfParallelism, classCount, slicePartials: partials, stored: true);
    }

    /// <summary>The gradient for Half logits, written as Half.</summary>
    /// <inheritdoc cref="Backward{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, int, int, double, int)"/>
    public static void Backward(ReadOnlySpan<Half> logits, ReadOnlySpan<long> targets, ReadOnlySpan<float> logProbabilityGradient,
        ReadOnlySpan<float> entropyGradient, Span<Half> gradient, int classCount, long ignoreIndex = -100, double softCap = double.PositiveInfinity,
        int maxDegreeOfParallelism = 1) =>
        Run(logits, new TargetSpan(targets), default, classCount, 0, classCount, default, default, logProbabilityGradient, entropyGradient, gradient, ignoreIndex, softCap, maxDegreeOfParallelism);

    /// <summary>The gradient for Half logits, written as float.</summary>
    /// <inheritdoc cref="Backward{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, int, int, double, int)"/>
    public static void Backward(ReadOnlySpan<Half> logits, ReadOnlySpan<long> targets, ReadOnlySpan<float> logProbabilityGradient,
        ReadOnlySpan<float> entropyGradient, Span<float> gradient, int classCount, long ignoreIndex = -100, double softCap = double.PositiveInfinity,
        int maxDegreeOfParallelism = 1) =>
        Run(logits, new TargetSpan(targets), default, classCount, 0, classCount, default, default, logProbabilityGradient, entropyGradient, gradient, ignoreIndex, softCap, maxDegreeOfParallelism);

    /// <summary>The gradient for bfloat16 logits, written as float.</summary>
    /// <inheritdoc cref="Backward{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, int, int, double, int)"/>
    public static void Backward(ReadOnlySpan<BFloat16> logits, ReadOnlySpan<long> targets, ReadOnlySpan<float> logProbabilityGradient,
        ReadOnlySpan<float> entropyGradient, Span<float> gradient, int classCount, long ignoreIndex = -100, double softCap = double.PositiveInfinity,
        int maxDegreeOfParallelism = 1) =>
        Run(logits, new TargetSpan(targets), default, classCount, 0, classCount, default, default, logProbabilityGradient, entropyGradient, gradient, ignoreIndex, softCap, maxDegreeOfParallelism);

    /// <summary>The gradient for bfloat16 logits, written as bfloat16 (rounded to nearest even).</summary>
    /// <inheritdoc cref="Backward{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, int, int, double, int)"/>
    public static void Backward(ReadOnlySpan<BFloat16> logits, ReadOnlySpan<long> targets, ReadOnlySpan<float> logProbabilityGradient,
        ReadOnlySpan<float> entropyGradient, Span<BFloat16> gradient, int classCount, long ignoreIndex = -100, double softCap = double.PositiveInfinity,
        int maxDegreeOfParallelism = 1) =>
        Run(logits, new TargetSpan(targets), default, classCount, 0, classCount, default, default, logProbabilityGradient, entropyGradient, gradient, ignoreIndex, softCap, maxDegreeOfParallelism);

    /// <summary>Log-probabilities and entropies from partials combined over the whole vocabulary (see <see cref="CrossEntropySlices"/>).</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="partials">One complete partial per row.</param>
    /// <param name="logProbabilities">At least rows long.</param>
    /// <param name="classCount">C.</param>
    /// <param name="entropy">Empty, or at least rows long.</param>
    /// <exception cref="ArgumentException">A partial does not cover exactly the C columns, or a span is too short.</exception>
    public static void FromPartials<T>(ReadOnlySpan<VocabularyPartial> partials, Span<T> logProbabilities, int classCount, Span<T> entropy = default)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Guard.FloatOrDouble<T>();
        CrossEntropySlices.CheckComplete(partials, classCount, moment: !entropy.IsEmpty);
        Guard.DestinationLength(partials.Length, logProbabilities.Length, nameof(logProbabilities));
        if (!entropy.IsEmpty)
        {
            Guard.DestinationLength(partials.Length, entropy.Length, nameof(entropy));
        }
        Guard.ApartAcrossTypes(partials, (ReadOnlySpan<T>)logProbabilities, nameof(partials), nameof(logProbabilities));
        Guard.ApartAcrossTypes(partials, (ReadOnlySpan<T>)entropy, nameof(partials), nameof(entropy));
        Guard.ApartAcrossTypes((ReadOnlySpan<T>)logProbabilities, (ReadOnlySpan<T>)entropy, nameof(logProbabilities), nameof(entropy));
        for (int row = 0; row < partials.Length; row++)
        {
            var (logProbability, h) = SliceLoss.Token(in partials[row]);
            logProbabilities[row] = T.CreateTruncating(logProbability);
            if (!entropy.IsEmpty)
            {
                entropy[row] = T.CreateTruncating(h);
            }
        }
    }

    /// <summary>The gradient of one slice [offset, offset + width) of the logits, given the combined partials and the upstream gradients.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="logits">The slice, rows <paramref name="stride"/> apart (as for <see cref="CrossEntropySlices"/>).</param>
    /// <param name="partials">One complete partial per row.</param>
    /// <param name="logProbabilityGradient">Empty or rows long: α per row.</param>
    /// <param name="entropyGradient">Empty or rows long: β per row.</param>
    /// <param name="gradient">Receives the slice's gradient, laid out as the logits.</param>
    /// <param name="classCount">C.</param>
    /// <param name="offset">The slice's first column.</param>
    /// <param name="width">The slice's number of columns.</param>
    /// <param name="stride">Elements between rows; 0 means width.</param>
    /// <param name="softCap">c as given to Forward.</param>
    /// <param name="maxDegreeOfParallelism">1 (default) for one thread, n for up to n threads, −1 for all cores; the result is bitwise the same for any value.</param>
    /// <exception cref="ArgumentException">Incomplete partials, a slice outside the vocabulary, or spans too short; nothing is written.</exception>
    /// <exception cref="ArgumentOutOfRangeException">softCap ≤ 0 or NaN.</exception>
    public static void BackwardSlice<T>(ReadOnlySpan<T> logits, ReadOnlySpan<VocabularyPartial> partials, ReadOnlySpan<T> logProbabilityGradient,
        ReadOnlySpan<T> entropyGradient, Span<T> gradient, int classCount, int offset, int width, int stride = 0,
        double softCap = double.PositiveInfinity, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CrossEntropySlices.CheckComplete(partials, classCount, moment: !entropyGradient.IsEmpty);
        Run(logits, default, partials, classCount, offset, width, default, default, logProbabilityGradient, entropyGradient, gradient, 0, softCap, maxDegreeOfParallelism, stride);
    }

    /// <summary>
    /// The gradient of one slice from the exps its storing forward
    /// (<see cref="CrossEntropySlices.Forward{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, Span{VocabularyPartial}, Span{T}, int, int, int, int, ReadOnlySpan{T}, int, double, bool, double, int)"/>)
    /// left in <paramref name="gradient"/>, given the combined partials: one pass without exp (the exps are rescaled by
    /// exp(m − M)/S per row).
    /// </summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="logits">The slice, rows <paramref name="stride"/> apart; read for the entropy's term and the cap's derivative.</param>
    /// <param name="slicePartials">This slice's partials, as the storing forward wrote them.</param>
    /// <param name="partials">One complete partial per row.</param>
    /// <param name="logProbabilityGradient">Empty or rows long: α per row.</param>
    /// <param name="entropyGradient">Empty or rows long: β per row.</param>
    /// <param name="gradient">The gradient slice holding the stored exps; receives the slice's gradient, laid out as the logits.</param>
    /// <param name="classCount">C.</param>
    /// <param name="offset">The slice's first column.</param>
    /// <param name="width">The slice's number of columns.</param>
    /// <param name="stride">Elements between rows; 0 means width.</param>
    /// <param name="softCap">c as given to Forward.</param>
    /// <param name="maxDegreeOfParallelism">1 (default) for one thread, n for up to n threads, −1 for all cores; the result is bitwise the same for any value.</param>
    /// <remarks>Equals <see cref="BackwardSlice{T}(ReadOnlySpan{T}, ReadOnlySpan{VocabularyPartial}, ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, int, int, int, int, double, int)"/>
    /// within a few ulp; the contract on the stored exps is that of the storing forward. No allocation.</remarks>
    /// <exception cref="ArgumentException">Incomplete partials; slice partials of another length, width or targets, not written by a
    /// storing forward, or with a max above the combined one (the message gives the row); spans too short or overlapping;
    /// nothing is written.</exception>
    /// <exception cref="ArgumentOutOfRangeException">softCap ≤ 0 or NaN.</exception>
    public static void BackwardSlice<T>(ReadOnlySpan<T> logits, ReadOnlySpan<VocabularyPartial> slicePartials, ReadOnlySpan<VocabularyPartial> partials,
        ReadOnlySpan<T> logProbabilityGradient, ReadOnlySpan<T> entropyGradient, Span<T> gradient, int classCount, int offset, int width, int stride = 0,
        double softCap = double.PositiveInfinity, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CrossEntropySlices.CheckComplete(partials, classCount, moment: !entropyGradient.IsEmpty);
        Run(logits, default, partials, classCount, offset, width, default, default, logProbabilityGradient, entropyGradient, gradient, 0, softCap,
            maxDegreeOfParallelism, stride, slicePartials, stored: true);
    }

    private static unsafe void Run<T, TIn, TOut>(ReadOnlySpan<TIn> logits, TargetSpan targets, ReadOnlySpan<VocabularyPartial> partials, int classCount,
        int offset, int width, Span<T> logProbabilities, Span<T> entropy, ReadOnlySpan<T> logProbabilityGradient, ReadOnlySpan<T> entropyGradient,
        Span<TOut> gradient, long ignoreIndex, double softCap, int maxDegreeOfParallelism, int stride = 0,
        ReadOnlySpan<VocabularyPartial> slicePartials = default, bool stored = false, Span<VocabularyPartial> partialsOut = default, bool storing = false)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TIn : unmanaged
        where TOut : unmanaged
    {
        int rows = Check(logits, targets, partials, classCount, offset, width, logProbabilities, entropy, logProbabilityGradient, entropyGradient,
            gradient, ignoreIndex, softCap, maxDegreeOfParallelism, ref stride, slicePartials, stored, partialsOut, storing, fused: false);
        bool sliced = !partials.IsEmpty || !targets.IsGiven;
        bool backward = !storing && (!logProbabilityGradient.IsEmpty || !entropyGradient.IsEmpty || !gradient.IsEmpty);
        fixed (TIn* x = logits)
        fixed (int* t32 = targets.Int32)
        fixed (long* t64 = targets.Int64)
        fixed (VocabularyPartial* p = partials)
        fixed (VocabularyPartial* po = partialsOut)
        fixed (VocabularyPartial* sp = slicePartials)
        fixed (T* lp = logProbabilities)
        fixed (T* h = entropy)
        fixed (T* dlp = logProbabilityGradient)
        fixed (T* dh = entropyGradient)
        fixed (TOut* g = gradient)
        {
            var op = TokenOp<T, TIn, TOut>(x, sliced ? default : targets, t32, t64, stride, width, offset, ignoreIndex, softCap) with
            {
                Partials = storing ? po : sliced ? p : null,
                SlicePartials = stored ? sp : null,
                StoreExps = storing,
                Entropy = backward || entropy.IsEmpty ? null : h,
                Gradient = backward || storing ? g : null,
                LogProbabilityGradient = logProbabilityGradient.IsEmpty ? null : dlp,
                EntropyGradient = entropyGradient.IsEmpty ? null : dh,
            };
            if (!SliceRowsOp<T, TIn, TOut>.TryRun(in op, rows, lp, maxDegreeOfParallelism))
            {
                RowDriver.Run<T, VocabularySliceOp<T, TIn, TOut>>(in op, rows, width, backward ? null : lp, maxDegreeOfParallelism);
            }
        }
    }

    /// <summary>The token op's common fields: mode, logits, slice, targets (none when <paramref name="targets"/> is empty), cap.</summary>
    private static unsafe VocabularySliceOp<T, TIn, TOut> TokenOp<T, TIn, TOut>(TIn* x, TargetSpan targets, int* t32, long* t64, int stride, int width,
        int offset, long ignoreIndex, double softCap)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TIn : unmanaged
        where TOut : unmanaged =>
        VocabularySliceOp<T, TIn, TOut>.Of(SliceMode.Token, x, stride, width, offset, softCap) with
        {
            Targets32 = targets.Length == 0 || targets.IsInt64 ? null : t32,
            Targets64 = targets.Length == 0 || !targets.IsInt64 ? null : t64,
            IgnoreIndex = ignoreIndex,
            SliceWeightSum = width,
        };

    /// <summary>
    /// Every argument check of <see cref="Run"/> and the fused form (nothing written before them); returns the rows and sets
    /// the stride. <paramref name="fused"/>: a storing forward without partials whose backward reads the logits (apart).
    /// </summary>
    private static int Check<T, TIn, TOut>(ReadOnlySpan<TIn> logits, TargetSpan targets, ReadOnlySpan<VocabularyPartial> partials, int classCount,
        int offset, int width, Span<T> logProbabilities, Span<T> entropy, ReadOnlySpan<T> logProbabilityGradient, ReadOnlySpan<T> entropyGradient,
        Span<TOut> gradient, long ignoreIndex, double softCap, int maxDegreeOfParallelism, ref int stride,
        ReadOnlySpan<VocabularyPartial> slicePartials, bool stored, Span<VocabularyPartial> partialsOut, bool storing, bool fused)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TIn : unmanaged
        where TOut : unmanaged
    {
        Guard.FloatOrDouble<T>();
        CrossEntropySlices.CheckOptions<T>(0, 0, softCap);
        RowDriver.CheckParallelism(maxDegreeOfParallelism);
        bool sliced = !partials.IsEmpty || !targets.IsGiven;
        int rows = sliced ? partials.Length : targets.Length;
        if (!sliced)
        {
            Guard.Rows(logits.Length, classCount, nameof(logits));
            Guard.SameLength(logits.Length / classCount, rows, nameof(targets), "the number of rows of logits");
            targets.Check(classCount, ignoreIndex, nameof(targets));
        }
        stride = CrossEntropySlices.CheckSlice(logits.Length, rows, classCount, offset, width, sliced ? stride : classCount, nameof(logits));
        bool backward = !storing && (!logProbabilityGradient.IsEmpty || !entropyGradient.IsEmpty || !gradient.IsEmpty);
        if (storing)
        {
            // The storing forward: the backward reads the logits for a cap or the entropy's term, so in place only without a cap
            // (and then the backward's β must be empty: checked there).
            CrossEntropySlices.CheckStoredLayout(logits, (ReadOnlySpan<TOut>)gradient, rows, classCount, offset, width, stride, fused ? 1 : softCap);
            if (!fused)
            {
                Guard.DestinationLength(rows, partialsOut.Length, nameof(partials));
            }
        }
        if (stored)
        {
            bool readsLogits = !double.IsPositiveInfinity(softCap) || !entropyGradient.IsEmpty;
            CrossEntropySlices.CheckStoredLayout(logits, (ReadOnlySpan<TOut>)gradient, rows, classCount, offset, width, stride, readsLogits ? 1 : softCap);
            CrossEntropySlices.CheckSlicePartials(slicePartials, partials, width);
        }
        if (backward)
        {
            CrossEntropySlices.CheckSlice(gradient.Length, rows, classCount, offset, width, stride, nameof(gradient));
            Guard.InPlaceOrApartAcrossTypes<TIn, TOut>(logits, gradient, nameof(logits), nameof(gradient));
            if (!logProbabilityGradient.IsEmpty)
            {
                Guard.SameLength(rows, logProbabilityGradient.Length, nameof(logProbabilityGradient), "the number of rows");
            }
            if (!entropyGradient.IsEmpty)
            {
                Guard.SameLength(rows, entropyGradient.Length, nameof(entropyGradient), "the number of rows");
            }
        }
        if (!backward)
        {
            Guard.DestinationLength(rows, logProbabilities.Length, nameof(logProbabilities));
            if (!entropy.IsEmpty)
            {
                Guard.DestinationLength(rows, entropy.Length, nameof(entropy));
            }
        }
        // The overlap rule: only the gradient may be written over the logits (checked above); every other pair is apart.
        var logitBytes = MemoryMarshal.AsBytes(logits);
        var gradientBytes = MemoryMarshal.AsBytes((ReadOnlySpan<TOut>)gradient);
        Guard.Apart(logitBytes, MemoryMarshal.AsBytes((ReadOnlySpan<T>)logProbabilities), nameof(logits), nameof(logProbabilities));
        Guard.Apart(logitBytes, MemoryMarshal.AsBytes((ReadOnlySpan<T>)entropy), nameof(logits), nameof(entropy));
        if (!entropy.IsEmpty && !logProbabilities.IsEmpty)
        {
            // The two outputs of the forward (their written rows: each at least rows long, checked above).
            Guard.Apart((ReadOnlySpan<T>)logProbabilities[..rows], entropy[..rows], nameof(logProbabilities), nameof(entropy));
        }
        if (storing)
        {
            // The storing forward's outputs never overlap each other.
            Guard.Apart(gradientBytes, MemoryMarshal.AsBytes((ReadOnlySpan<T>)logProbabilities), nameof(gradient), nameof(logProbabilities));
            Guard.Apart(gradientBytes, MemoryMarshal.AsBytes((ReadOnlySpan<T>)entropy), nameof(gradient), nameof(entropy));
        }
        Guard.Apart(MemoryMarshal.AsBytes(logProbabilityGradient), gradientBytes, nameof(logProbabilityGradient), nameof(gradient));
        Guard.Apart(MemoryMarshal.AsBytes(entropyGradient), gradientBytes, nameof(entropyGradient), nameof(gradient));
        // The targets are read while every output is written (reinterpreted buffers included).
        targets.CheckApart<T>(logProbabilities, nameof(logProbabilities));
        targets.CheckApart<T>(entropy, nameof(entropy));
        targets.CheckApart<TOut>(gradient, nameof(gradient));
        targets.CheckApart<VocabularyPartial>(partialsOut, nameof(partials));
        // Partials: those read apart from every output, those written (partialsOut) apart from every span.
        var partialBytes = MemoryMarshal.AsBytes(partials);
        var sliceBytes = MemoryMarshal.AsBytes(slicePartials);
        var outBytes = MemoryMarshal.AsBytes((ReadOnlySpan<VocabularyPartial>)partialsOut);
        Guard.Apart(partialBytes, gradientBytes, nameof(partials), nameof(gradient));
        Guard.Apart(sliceBytes, gradientBytes, nameof(slicePartials), nameof(gradient));
        Guard.Apart(partialBytes, MemoryMarshal.AsBytes((ReadOnlySpan<T>)logProbabilities), nameof(partials), nameof(logProbabilities));
        Guard.Apart(partialBytes, MemoryMarshal.AsBytes((ReadOnlySpan<T>)entropy), nameof(partials), nameof(entropy));
        Guard.Apart(logitBytes, outBytes, nameof(logits), nameof(partials));
        Guard.Apart(gradientBytes, outBytes, nameof(gradient), nameof(partials));
        Guard.Apart(MemoryMarshal.AsBytes((ReadOnlySpan<T>)logProbabilities), outBytes, nameof(logProbabilities), nameof(partials));
        Guard.Apart(MemoryMarshal.AsBytes((ReadOnlySpan<T>)entropy), outBytes, nameof(entropy), nameof(partials));
        return rows;
    }
}
