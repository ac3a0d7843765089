using System.Numerics;
using Losses.Kernels;

namespace Losses;

/// <summary>
/// log-softmax(x)ᵢ = xᵢ − logsumexp(x) = (xᵢ − max x) − log Σⱼ exp(xⱼ − max x), over one row or each row of a batch, and
/// its backward pass. Never overflows for finite input, and keeps full relative accuracy for the largest logits.
/// </summary>
/// <remarks>
/// <para>Edge cases, as PyTorch's <c>torch.log_softmax</c>: a −∞ logit gives −∞; a fully masked row (all −∞) gives NaN;
/// a +∞ or NaN logit makes the row NaN; for float, an entry more than ~3.4e38 below the row maximum gives −∞ (its true
/// value is not representable). Empty input writes nothing.</para>
/// <para>Accuracy: (x − max) is exact for entries near the max and log Σ is within a few ulp, so each output is within a
/// few ulp of its magnitude plus a few ulp of log Σ. PyTorch computes x − (max + log Σ), which loses the low bits of
/// log Σ when |max| is large; this library does not, a deliberate (more accurate) difference.</para>
/// <para>Cost: two passes over a row (the online normalizer; then a subtract), one exp per element, no allocation.</para>
/// </remarks>
/// <seealso cref="Softmax"/>
/// <seealso cref="LogSumExp"/>
public static partial class LogSoftmax
{
    /// <summary>Writes log-softmax(<paramref name="logits"/>) to <paramref name="destination"/> (one row).</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="logits">The row of logits.</param>
    /// <param name="destination">At least as long as <paramref name="logits"/>; may be <paramref name="logits"/> itself.</param>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is too short or partly overlaps <paramref name="logits"/>.</exception>
    /// <example>
    /// <code>
    /// Span&lt;double&gt; logp = stackalloc double[3];
    /// LogSoftmax.Forward([1e4, 0.0, double.NegativeInfinity], logp); // [0, -1e4, -inf]
    /// </code>
    /// </example>
    public static void Forward<T>(ReadOnlySpan<T> logits, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Forward(logits, destination, Math.Max(logits.Length, 1));

    /// <summary>Writes log-softmax of each row of a row-major [rows × <paramref name="classCount"/>] batch.</summary>
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
        Batch.Forward<T, RowMapOp<T, LogSoftmaxMap<T>>>(logits, destination, classCount, maxDegreeOfParallelism);

    /// <summary>
    /// The backward pass of log-softmax for one row: dx = dy − softmax(x)·Σⱼ dyⱼ, with softmax(x) = exp(output).
    /// </summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="output">The log-softmax output, as written by <see cref="Forward{T}(ReadOnlySpan{T}, Span{T})"/>.</param>
    /// <param name="outputGradient">dy, same length as <paramref name="output"/>.</param>
    /// <param name="inputGradient">dx; may be <paramref name="output"/> or <paramref name="outputGradient"/> itself.</param>
    /// <remarks>Masked entries (output −∞) get dx = dy, as in PyTorch.</remarks>
    public static void Backward<T>(ReadOnlySpan<T> output, ReadOnlySpan<T> outputGradient, Span<T> inputGradient)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Backward(output, outputGradient, inputGradient, Math.Max(output.Length, 1));

    /// <summary>The log-softmax backward pass for each row of a batch: dx = dy − exp(output)·Σ dy per row.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="output">rows × classCount log-softmax outputs.</param>
    /// <param name="outputGradient">dy, same length as <paramref name="output"/>.</param>
    /// <param name="inputGradient">dx, at least as long as <paramref name="output"/>; may alias either input exactly.</param>
    /// <param name="classCount">The row length, positive.</param>
    /// <param name="maxDegreeOfParallelism">1 (default) for one thread, n for up to n threads, −1 for all cores; the result is bitwise the same for any value.</param>
    /// <exception cref="ArgumentException">Lengths disagree, or a destination partly overlaps an input.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classCount"/> is not positive.</exception>
    public static void Backward<T>(ReadOnlySpan<T> output, ReadOnlySpan<T> outputGradient, Span<T> inputGradient, int classCount, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Batch.Backward<T, RowGradientOp<T, LogSoftmaxGradient<T>>>(output, outputGradient, inputGradient, classCount, maxDegreeOfParallelism);
}
