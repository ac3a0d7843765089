using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Losses.Kernels;

/// <summary>
/// Log-sum-exp of short rows (at most <see cref="MaxClasses"/> classes) with one row per vector lane: a block of B rows
/// (B = lanes) is transposed in registers into C vectors (the cross-entropy block path's transposes), then the max, the
/// sum of exp and the log are plain vertical operations for B rows at once and the B results are one vector store. This
/// removes the per-row overhead that dominates row-at-a-time kernels at 10 classes.
/// </summary>
internal static unsafe class SoftmaxBlocks
{
    /// <summary>Rows up to this long take the block path.</summary>
    public const int MaxClasses = CrossEntropyIndexJob<float>.BlockPathMaxClasses;

    /// <summary>
    /// Writes logsumexp of whole blocks of rows of <paramref name="logits"/> into <paramref name="destination"/> and
    /// returns how many leading rows it did; the caller does the rest row by row.
    /// </summary>
    public static int LogSumExp<T>(ReadOnlySpan<T> logits, Span<T> destination, int classCount)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (classCount > MaxClasses)
        {
            return 0;
        }
        fixed (T* x = logits)
        fixed (T* d = destination)
        {
            int rows = logits.Length / classCount;
            if (Avx512F.IsSupported && Vector512.IsHardwareAccelerated)
            {
                return Block<T, V512<T>, Block512<T>, Vector512<T>>.LogSumExp(x, rows, classCount, d);
            }
            if (Avx2.IsSupported && Vector256.IsHardwareAccelerated)
            {
                return Block<T, V256<T>, Block256<T>, Vector256<T>>.LogSumExp(x, rows, classCount, d);
            }
            return 0;
        }
    }

    private static class Block<T, TOps, TBlock, TV>
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOps : ISimd<TV, T>
        where TBlock : IBlockOps<TV, T>
        where TV : struct
    {
        [MethodImpl(MethodImplOptions.NoInlining)]
        [SkipLocalsInit]
        public static int LogSumExp(T* x, int rows, int c, T* destination)
        {
            int b = TOps.Count;
            Span<TV> tile = MemoryMarshal.Cast<byte, TV>(stackalloc byte[(MaxClasses + 16) * 64]);

            // The last group of a row's transposed load reads up to B − 1 elements past the row: stop where that would
            // run past the batch.
            int overread = (((c + b - 1) / b) * b) - c;
            long limit = (long)rows * c;
            TV floor = TOps.Create(FloatLimits<T>.MinValue);
            TV infinity = TOps.Create(T.PositiveInfinity);
            int row = 0;
            for (; row + b <= rows && (((long)(row + b) * c) + overread) <= limit; row += b)
            {
                T* block = x + ((nint)row * c);
                for (int group = 0; group < c; group += b)
                {
                    TBlock.Transpose(block + group, c, ref tile[group]);
                }

                // Floored at MinValue so that a fully masked row sums exp(−∞ − MinValue) = 0 and gives −∞, not NaN.
                TV max = floor;
                TV nan = default;
                for (int k = 0; k < c; k++)
                {
                    max = TOps.MaxFast(max, tile[k]);
                    nan = TOps.Or(nan, VectorMath<TOps, TV, T>.IsNaN(tile[k]));
                }
                var sum = new LaneSum<TOps, TV, T>();
                for (int k = 0; k < c; k++)
                {
                    sum.Add(VectorMath<TOps, TV, T>.Exp(TOps.Subtract(tile[k], max)));
                }
                TV lse = TOps.Add(max, VectorMath<TOps, TV, T>.Log(sum.Current));

                // As the row path: a +∞ logit gives +∞, a NaN anywhere gives NaN.
                lse = TOps.Select(TOps.Equal(max, infinity), infinity, lse);
                lse = TOps.Select(nan, TOps.Create(T.NaN), lse);
                TOps.Store(lse, ref destination[row], 0);
            }
            return row;
        }
    }
}
