using System.Numerics;
using Losses.Kernels;

namespace Losses;

/// <summary>
/// logsumexp(x) = log Σᵢ exp(xᵢ) = max x + log Σᵢ exp(xᵢ − max x), over one row or each row of a batch, in one pass
/// (the online normalizer), and its backward pass ∂/∂xᵢ = softmax(x)ᵢ.
/// </summary>
/// <remarks>
/// <para>Edge cases, as PyTorch's <c>torch.logsumexp</c> and SciPy's <c>logsumexp</c>: −∞ entries are ignored; an
/// empty row or a row of only −∞ gives −∞; a +∞ entry gives +∞; a NaN entry gives NaN (also when +∞ is present).</para>
/// <para>Accuracy: within a few ulp of the correctly rounded value, independent of the row length.</para>
/// </remarks>
/// <seealso cref="Softmax"/>
/// <seealso cref="LogSoftmax"/>
/// <seealso cref="SoftmaxNormalizer"/>
public static partial class LogSumExp
{
    /// <summary>Returns log Σ exp(xᵢ) of one row.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="logits">The row; may be empty (result −∞).</param>
    /// <returns>The log-sum-exp.</returns>
    /// <example>
    /// <code>
    /// float lse = LogSumExp.Forward([1000f, 1000f]); // 1000.6931
    /// </code>
    /// </example>
    public static unsafe T Forward<T>(ReadOnlySpan<T> logits)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (logits.IsEmpty)
        {
            Guard.FloatOrDouble<T>();
            return T.NegativeInfinity;
        }
        Span<T> value = stackalloc T[1];
        Forward(logits, value, logits.Length);
        return value[0];
    }

    /// <summary>Writes the log-sum-exp of each row of a row-major [rows × <paramref name="classCount"/>] batch.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="logits">rows × classCount logits.</param>
    /// <param name="destination">At least rows long; receives one value per row.</param>
    /// <param name="classCount">The row length, positive.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classCount"/> is not positive.</exception>
    /// <exception cref="ArgumentException">The length of <paramref name="logits"/> is not a multiple of
    /// <paramref name="classCount"/>, or <paramref name="destination"/> is shorter than the number of rows.</exception>
    /// <param name="maxDegreeOfParallelism">1 (default) for one thread, n for up to n threads, −1 for all cores; the result is bitwise the same for any value.</param>
    public static unsafe void Forward<T>(ReadOnlySpan<T> logits, Span<T> destination, int classCount, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Batch.PerRow(logits, default, destination, classCount, maxDegreeOfParallelism, nameof(logits), "");
        Batch.Run(default(LogSumExpOp<T>), logits, default, default, destination, classCount, maxDegreeOfParallelism);
    }

    /// <summary>
    /// The log-sum-exp of each row of Half logits, written as float: each logit is widened to float in the row loops'
    /// loads (no widened copy is made) and all arithmetic is in float (a max pass, then Σ exp(x − max)).
    /// </summary>
    /// <param name="logits">rows × classCount Half logits, row-major.</param>
    /// <param name="destination">At least rows long; receives one value per row; must not overlap <paramref name="logits"/>.</param>
    /// <param name="classCount">The row length, positive.</param>
    /// <param name="maxDegreeOfParallelism">1 (default) for one thread, n for up to n threads, −1 for all cores; the result is bitwise the same for any value.</param>
    /// <remarks>Edge cases as the float overload: −∞ entries are ignored, a row of only −∞ gives −∞, +∞ gives +∞, NaN gives NaN.</remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classCount"/> is not positive.</exception>
    /// <exception cref="ArgumentException">The length of <paramref name="logits"/> is not a multiple of <paramref name="classCount"/>,
    /// <paramref name="destination"/> is too short, or it overlaps <paramref name="logits"/>.</exception>
    /// <example>
    /// <code>
    /// Half[] logits = [(Half)1000f, (Half)1000f];
    /// var lse = new float[1];
    /// LogSumExp.Forward(logits, lse, classCount: 2); // 1000.6931
    /// </code>
    /// </example>
    public static void Forward(ReadOnlySpan<Half> logits, Span<float> destination, int classCount, int maxDegreeOfParallelism = 1) =>
        SixteenBitRowsOp<Half>.Run(logits, destination, classCount, maxDegreeOfParallelism, softmax: false);

    /// <summary>The log-sum-exp of each row of bfloat16 logits (raw 16-bit patterns), written as float; otherwise as the Half overload.</summary>
    /// <param name="logits">rows × classCount bfloat16 logits, row-major.</param>
    /// <param name="destination">At least rows long; must not overlap <paramref name="logits"/>.</param>
    /// <param name="classCount">The row length, positive.</param>
    /// <param name="maxDegreeOfParallelism">1 (default) for one thread, n for up to n threads, −1 for all cores; the result is bitwise the same for any value.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classCount"/> is not positive.</exception>
    /// <exception cref="ArgumentException">Lengths disagree, or <paramref name="destination"/> overlaps <paramref name="logits"/>.</exception>
    public static void Forward(ReadOnlySpan<BFloat16> logits, Span<float> destination, int classCount, int maxDegreeOfParallelism = 1) =>
        SixteenBitRowsOp<BFloat16>.Run(logits, destination, classCount, maxDegreeOfParallelism, softmax: false);

    /// <summary>The backward pass for one row: dx = dy · exp(x − output) = dy · softmax(x).</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="logits">x, the row that was reduced.</param>
    /// <param name="output">logsumexp(x), as returned by <see cref="Forward{T}(ReadOnlySpan{T})"/>.</param>
    /// <param name="outputGradient">dy, the gradient of the loss with respect to the log-sum-exp.</param>
    /// <param name="inputGradient">dx, at least as long as <paramref name="logits"/>; may be <paramref name="logits"/> itself.</param>
    /// <remarks>Masked entries get 0; a row with +∞ gets NaN at the +∞ entries and 0 elsewhere (as PyTorch).</remarks>
    public static void Backward<T>(ReadOnlySpan<T> logits, T output, T outputGradient, Span<T> inputGradient)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Guard.FloatOrDouble<T>();
        if (!logits.IsEmpty)
        {
            Backward(logits, new ReadOnlySpan<T>(in output), new ReadOnlySpan<T>(in outputGradient), inputGradient, logits.Length);
        }
    }

    /// <summary>The backward pass for each row of a batch: dxᵢⱼ = dyᵢ · exp(xᵢⱼ − outputᵢ).</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="logits">rows × classCount logits.</param>
    /// <param name="output">rows log-sum-exp values.</param>
    /// <param name="outputGradient">rows upstream gradients.</param>
    /// <param name="inputGradient">At least as long as <paramref name="logits"/>; may be <paramref name="logits"/> itself.</param>
    /// <param name="classCount">The row length, positive.</param>
    /// <param name="maxDegreeOfParallelism">1 (default) for one thread, n for up to n threads, −1 for all cores; the result is bitwise the same for any value.</param>
    /// <exception cref="ArgumentException">Lengths disagree, or a destination partly overlaps an input.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classCount"/> is not positive.</exception>
    public static unsafe void Backward<T>(ReadOnlySpan<T> logits, ReadOnlySpan<T> output, ReadOnlySpan<T> outputGradient, Span<T> inputGradient, int classCount,
        int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int rows = Batch.Rows(logits, inputGradient, classCount, maxDegreeOfParallelism, nameof(logits), nameof(inputGradient));
        Guard.SameLength(rows, output.Length, nameof(output), "the number of rows");
        Guard.SameLength(rows, outputGradient.Length, nameof(outputGradient), "the number of rows");
        Guard.Apart<T>(output, inputGradient[..logits.Length], nameof(output), nameof(inputGradient));
        Guard.Apart<T>(outputGradient, inputGradient[..logits.Length], nameof(outputGradient), nameof(inputGradient));
        fixed (T* x = logits)
        fixed (T* o = output)
        fixed (T* dy = outputGradient)
        fixed (T* dx = inputGradient)
        {
            var op = new LogSumExpBackwardOp<T>(x, o, dy, dx, classCount);
            RowDriver.Run<T, LogSumExpBackwardOp<T>>(in op, rows, classCount, null, maxDegreeOfParallelism);
        }
    }
}
