using System.Numerics;
using Losses.Kernels;

namespace Losses;

/// <summary>
/// softmax(x)ᵢ = exp(xᵢ − max x) / Σⱼ exp(xⱼ − max x), over one row or each row of a row-major batch, and its
/// backward pass. Subtracting the maximum means no finite input overflows (unlike <c>TensorPrimitives.SoftMax</c>, which
/// returns NaN for [89f, 0f]).
/// </summary>
/// <remarks>
/// <para>Edge cases, as PyTorch's <c>torch.softmax</c>: a −∞ logit (masked) gets probability exactly 0; a row of only −∞
/// (fully masked) gives NaN in every entry; a +∞ logit makes the whole row NaN; a NaN anywhere in a row makes the row NaN;
/// an empty input writes nothing. Rows are independent: one bad row does not affect the others.</para>
/// <para>Accuracy (float and double): each probability is within 4 ulp of the correctly rounded value (the exp is ≤ 1 ulp,
/// the sum a few ulp independent of the row length); probabilities sum to 1 within a few ulp. Results may differ in the
/// last bit between SIMD widths because the sum is accumulated in a different order.</para>
/// <para>Cost: three passes over a row (max; exp, store and sum; scale), one exp per element, no allocation.</para>
/// </remarks>
/// <seealso cref="LogSoftmax"/>
/// <seealso cref="LogSumExp"/>
/// <seealso cref="SoftmaxNormalizer"/>
public static partial class Softmax
{
    /// <summary>Writes softmax(<paramref name="logits"/>) to <paramref name="destination"/> (one row).</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="logits">The row of logits.</param>
    /// <param name="destination">At least as long as <paramref name="logits"/>; may be <paramref name="logits"/> itself.</param>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is too short or partly overlaps <paramref name="logits"/>.</exception>
    /// <example>
    /// <code>
    /// Span&lt;float&gt; p = stackalloc float[2];
    /// Softmax.Forward([1000f, 1000f], p); // [0.5, 0.5], where TensorPrimitives.SoftMax gives NaN
    /// </code>
    /// </example>
    public static void Forward<T>(ReadOnlySpan<T> logits, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Forward(logits, destination, Math.Max(logits.Length, 1));

    /// <summary>Writes softmax of each row of a row-major [rows × <paramref name="classCount"/>] batch.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="logits">rows × classCount logits, row-major.</param>
    /// <param name="destination">At least as long as <paramref name="logits"/>; may be <paramref name="logits"/> itself.</param>
    /// <param name="classCount">The row length (number of classes), positive.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classCount"/> is not positive.</exception>
    /// <exception cref="ArgumentException">The length of <paramref name="logits"/> is not a multiple of <paramref name="classCount"/>,
    /// <paramref name="destination"/> is too short, or it partly overlaps <paramref name="logits"/>.</exception>
    /// <param name="maxDegreeOfParallelism">1 (default) for one thread, n for up to n threads, −1 for all cores; the result is bitwise the same for any value.</param>
    public static void Forward<T>(ReadOnlySpan<T> logits, Span<T> destination, int classCount, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Batch.Forward<T, RowMapOp<T, SoftmaxMap<T>>>(logits, destination, classCount, maxDegreeOfParallelism);

    /// <summary>
    /// Softmax of each row of Half logits, written as float: each logit is widened to float in the row loop's loads (no
    /// widened copy is made) and all arithmetic is in float, so the result is that of the float overload on the widened
    /// values, within a few ulp.
    /// </summary>
    /// <param name="logits">rows × classCount Half logits, row-major.</param>
    /// <param name="destination">At least as long as <paramref name="logits"/>; must not overlap it.</param>
    /// <param name="classCount">The row length (number of classes), positive.</param>
    /// <param name="maxDegreeOfParallelism">1 (default) for one thread, n for up to n threads, −1 for all cores; the result is bitwise the same for any value.</param>
    /// <remarks>Edge cases as the float overload: −∞ entries get 0; a row of only −∞, or holding +∞ or NaN, gives NaN.</remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classCount"/> is not positive.</exception>
    /// <exception cref="ArgumentException">The length of <paramref name="logits"/> is not a multiple of <paramref name="classCount"/>,
    /// <paramref name="destination"/> is too short, or it overlaps <paramref name="logits"/>.</exception>
    /// <example>
    /// <code>
    /// Half[] logits = [(Half)1f, (Half)2f, (Half)3f];
    /// var probabilities = new float[3];
    /// Softmax.Forward(logits, probabilities, classCount: 3); // 0.0900, 0.2447, 0.6652
    /// </code>
    /// </example>
    public static void Forward(ReadOnlySpan<Half> logits, Span<float> destination, int classCount, int maxDegreeOfParallelism = 1) =>
        SixteenBitRowsOp<Half>.Run(logits, destination, classCount, maxDegreeOfParallelism, softmax: true);

    /// <summary>Softmax of each row of bfloat16 logits (raw 16-bit patterns), written as float; otherwise as the Half overload.</summary>
    /// <param name="logits">rows × classCount bfloat16 logits, row-major.</param>
    /// <param name="destination">At least as long as <paramref name="logits"/>; must not overlap it.</param>
    /// <param name="classCount">The row length (number of classes), positive.</param>
    /// <param name="maxDegreeOfParallelism">1 (default) for one thread, n for up to n threads, −1 for all cores; the result is bitwise the same for any value.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classCount"/> is not positive.</exception>
    /// <exception cref="ArgumentException">Lengths disagree, or <paramref name="destination"/> overlaps <paramref name="logits"/>.</exception>
    public static void Forward(ReadOnlySpan<BFloat16> logits, Span<float> destination, int classCount, int maxDegreeOfParallelism = 1) =>
        SixteenBitRowsOp<BFloat16>.Run(logits, destination, classCount, maxDegreeOfParallelism, softmax: true);

    /// <summary>
    /// The backward pass (vector–Jacobian product) of softmax for one row: dx = y ⊙ (dy − ⟨dy, y⟩), where y is the
    /// softmax output and dy the gradient of the loss with respect to it.
    /// </summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="output">y = softmax(x), as written by <see cref="Forward{T}(ReadOnlySpan{T}, Span{T})"/>.</param>
    /// <param name="outputGradient">dy, same length as <paramref name="output"/>.</param>
    /// <param name="inputGradient">dx; may be <paramref name="output"/> or <paramref name="outputGradient"/> itself.</param>
    /// <remarks>Masked entries (y = 0) get dx = 0; NaN rows stay NaN. ⟨dy, y⟩ is summed without drift.</remarks>
    public static void Backward<T>(ReadOnlySpan<T> output, ReadOnlySpan<T> outputGradient, Span<T> inputGradient)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Backward(output, outputGradient, inputGradient, Math.Max(output.Length, 1));

    /// <summary>The softmax backward pass for each row of a row-major batch: dx = y ⊙ (dy − ⟨dy, y⟩) per row.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="output">y, rows × classCount softmax outputs.</param>
    /// <param name="outputGradient">dy, same length as <paramref name="output"/>.</param>
    /// <param name="inputGradient">dx, at least as long as <paramref name="output"/>; may alias either input exactly.</param>
    /// <param name="classCount">The row length, positive.</param>
    /// <param name="maxDegreeOfParallelism">1 (default) for one thread, n for up to n threads, −1 for all cores; the result is bitwise the same for any value.</param>
    /// <exception cref="ArgumentException">Lengths disagree, or a destination partly overlaps an input.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classCount"/> is not positive.</exception>
    public static void Backward<T>(ReadOnlySpan<T> output, ReadOnlySpan<T> outputGradient, Span<T> inputGradient, int classCount, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Batch.Backward<T, RowGradientOp<T, SoftmaxGradient<T>>>(output, outputGradient, inputGradient, classCount, maxDegreeOfParallelism);
}
