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
public static class LogSumExp
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
    public static T Forward<T>(ReadOnlySpan<T> logits)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T result = SoftmaxNormalizer.Of(logits).LogSumExp;
        return T.IsPositiveInfinity(result) && HasNaN(logits) ? T.NaN : result;
    }

    /// <summary>Writes the log-sum-exp of each row of a row-major [rows × <paramref name="classCount"/>] batch.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="logits">rows × classCount logits.</param>
    /// <param name="destination">At least rows long; receives one value per row.</param>
    /// <param name="classCount">The row length, positive.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classCount"/> is not positive.</exception>
    /// <exception cref="ArgumentException">The length of <paramref name="logits"/> is not a multiple of
    /// <paramref name="classCount"/>, or <paramref name="destination"/> is shorter than the number of rows.</exception>
    public static void Forward<T>(ReadOnlySpan<T> logits, Span<T> destination, int classCount)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Guard.FloatOrDouble<T>();
        int rows = Guard.Rows(logits.Length, classCount, nameof(logits));
        Guard.DestinationLength(rows, destination.Length, nameof(destination));
        Guard.NoPartialOverlap<T>(logits, destination, nameof(logits), nameof(destination));
        if (rows == 0)
        {
            return;
        }
        // Short rows: whole blocks with one row per lane first; the rest (or everything) row by row.
        int done = SoftmaxBlocks.LogSumExp(logits, destination, classCount);
        if (done < rows)
        {
            var args = new BatchArgs<T>
            {
                A = logits[(done * classCount)..], Destination = destination[done..], ClassCount = classCount, Rows = rows - done,
            };
            Dispatch.Run<T, ForEachRow<T, ForwardRow<T>>, BatchArgs<T>>(classCount, ref args);
        }
        for (int row = 0; row < rows; row++)
        {
            if (T.IsPositiveInfinity(destination[row]) && HasNaN(logits.Slice(row * classCount, classCount)))
            {
                destination[row] = T.NaN;
            }
        }
    }

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
    /// <exception cref="ArgumentException">Lengths disagree, or a destination partly overlaps an input.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classCount"/> is not positive.</exception>
    public static void Backward<T>(ReadOnlySpan<T> logits, ReadOnlySpan<T> output, ReadOnlySpan<T> outputGradient, Span<T> inputGradient, int classCount)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Guard.FloatOrDouble<T>();
        int rows = Guard.Rows(logits.Length, classCount, nameof(logits));
        Guard.SameLength(rows, output.Length, nameof(output), "the number of rows");
        Guard.SameLength(rows, outputGradient.Length, nameof(outputGradient), "the number of rows");
        Guard.DestinationLength(logits.Length, inputGradient.Length, nameof(inputGradient));
        Guard.NoPartialOverlap<T>(logits, inputGradient, nameof(logits), nameof(inputGradient));
        if (rows == 0)
        {
            return;
        }
        var args = new BatchArgs<T> { A = logits, B = output, C = outputGradient, Destination = inputGradient, ClassCount = classCount, Rows = rows };
        Dispatch.Run<T, ForEachRow<T, BackwardRow<T>>, BatchArgs<T>>(classCount, ref args);
    }

    private static bool HasNaN<T>(ReadOnlySpan<T> values)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        foreach (T value in values)
        {
            if (T.IsNaN(value))
            {
                return true;
            }
        }
        return false;
    }

    private readonly struct ForwardRow<T> : IRowBody<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static void Row<TOps, TV>(scoped ref BatchArgs<T> args, int row)
            where TOps : ISimd<TV, T>
            where TV : struct =>
            args.Destination[row] = Rows<TOps, TV, T>.Normalizer(in args.RowOfA(row), args.ClassCount).LogSumExp;
    }

    private readonly struct BackwardRow<T> : IRowBody<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static void Row<TOps, TV>(scoped ref BatchArgs<T> args, int row)
            where TOps : ISimd<TV, T>
            where TV : struct =>
            Rows<TOps, TV, T>.Map(in args.RowOfA(row), ref args.RowOfDestination(row), args.ClassCount,
                new Ops<TOps, TV, T>.ExpShiftScale(args.B[row], args.C[row]));
    }
}
