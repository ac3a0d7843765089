using System.Runtime.CompilerServices;

namespace Losses.Kernels;

/// <summary>
/// Softmax and log-sum-exp of Half or bfloat16 logits (<see cref="Softmax.Forward(ReadOnlySpan{Half}, Span{float}, int, int)"/>,
/// <see cref="LogSumExp.Forward(ReadOnlySpan{Half}, Span{float}, int, int)"/> and their bfloat16 twins): each 16-bit logit is
/// widened once, in registers, by the max pass of <see cref="VocabularySliceRow{TOps, TV, T}"/>; all arithmetic in float.
/// Softmax: the max pass writes the widened row into the destination, then exp(x − max) is stored and summed, then
/// scaled (one exp per element). Log-sum-exp: the max pass, then Σ exp(x − max) (no store); the row value is the result.
/// </summary>
internal readonly unsafe struct SixteenBitRowsOp<TIn> : IRowOp<float>
    where TIn : unmanaged
{
    public TIn* Logits { get; init; }

    /// <summary>Softmax: rows × classCount outputs; null for log-sum-exp (the row value).</summary>
    public float* Destination { get; init; }

    public int ClassCount { get; init; }

    public float Row<TOps, TV>(int row)
        where TOps : ISimd<TV, float>
        where TV : struct
    {
        int c = ClassCount;
        ref TIn x = ref Unsafe.AsRef<TIn>(Logits + ((nint)row * c));
        if (Destination == null)
        {
            // The max is NaN for a NaN row and +∞ for a row holding +∞ (then the result is +∞, not ∞ − ∞).
            float max = VocabularySliceRow<TOps, TV, float>.Shift<TIn, NoCap<TV>, Off>(in x, ref Unsafe.NullRef<float>(), c, default);
            if (!float.IsFinite(max))
            {
                return max;
            }
            var stats = VocabularySliceRow<TOps, TV, float>.Statistics<TIn, NoCap<TV>, NoWeights<TV>, Off, Off, Off>(in x, ref Unsafe.NullRef<float>(), c, default, default, max);
            return stats.SumOfExp == 0 ? float.NegativeInfinity : max + MathF.Log(stats.SumOfExp);
        }
        ref float y = ref Unsafe.AsRef<float>(Destination + ((nint)row * c));
        float shift = VocabularySliceRow<TOps, TV, float>.Shift<TIn, NoCap<TV>, On>(in x, ref y, c, default);
        float sum = Rows<TOps, TV, float>.MapSum(in y, ref y, c, new ElementOps<TOps, TV, float>.ExpShift(shift));
        Rows<TOps, TV, float>.Map(in y, ref y, c, new ElementOps<TOps, TV, float>.Scale(1 / sum));
        return 0;
    }

    /// <summary>Validates and runs: rows of <paramref name="classCount"/>, a destination apart from the logits.</summary>
    public static void Run(ReadOnlySpan<TIn> logits, Span<float> destination, int classCount, int maxDegreeOfParallelism, bool softmax)
    {
        int rows = Guard.Rows(logits.Length, classCount, nameof(logits));
        RowDriver.CheckParallelism(maxDegreeOfParallelism);
        Guard.DestinationLength(softmax ? logits.Length : rows, destination.Length, nameof(destination));
        Guard.ApartAcrossTypes<TIn, float>(logits, destination, nameof(logits), nameof(destination));
        fixed (TIn* x = logits)
        fixed (float* y = destination)
        {
            var op = new SixteenBitRowsOp<TIn> { Logits = x, Destination = softmax ? y : null, ClassCount = classCount };
            RowDriver.Run<float, SixteenBitRowsOp<TIn>>(in op, rows, classCount, softmax ? null : y, maxDegreeOfParallelism);
        }
    }
}
