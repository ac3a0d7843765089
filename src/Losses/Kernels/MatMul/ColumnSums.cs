using System.Numerics;
using System.Runtime.CompilerServices;

namespace Losses.Kernels.MatMul;

/// <summary>Whole-row vector passes of the fused LM head: column sums of a row-major block (the bias gradient) and scaling.</summary>
internal static class ColumnSums<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>
    /// sums[j] = (accumulate ? sums[j] : 0) + rows[0, j] + rows[1, j] + …, added in row order, so that summing a batch in
    /// consecutive blocks gives the same bits as summing it at once.
    /// </summary>
    public static void AddRows(ReadOnlySpan<T> rows, int width, Span<T> sums, bool accumulate)
    {
        int count = rows.Length / width;
        int first = 0;
        if (!accumulate)
        {
            if (count == 0)
            {
                sums[..width].Clear();
                return;
            }
            rows[..width].CopyTo(sums);
            first = 1;
        }
        var args = new BatchArgs<T> { A = rows[(first * width)..], Destination = sums, ClassCount = width, Rows = count - first };
        Dispatch.Run<T, AddRowsKernel, BatchArgs<T>>(width, ref args);
    }

    /// <summary>values[i] ·= factor.</summary>
    public static void Scale(Span<T> values, T factor)
    {
        if (values.IsEmpty)
        {
            return;
        }
        var args = new BatchArgs<T> { Destination = values, ClassCount = values.Length, Rows = 1, Result = factor };
        Dispatch.Run<T, ScaleKernel, BatchArgs<T>>(values.Length, ref args);
    }

    private readonly struct AddRowsKernel : IRowKernel<T, BatchArgs<T>>
    {
        public static void Run<TOps, TV>(scoped ref BatchArgs<T> args)
            where TOps : ISimd<TV, T>
            where TV : struct
        {
            ref T sums = ref args.RowOfDestination(0);
            for (int row = 0; row < args.Rows; row++)
            {
                Rows<TOps, TV, T>.Map(in sums, in args.RowOfA(row), ref sums, args.ClassCount, default(Add<TOps, TV>));
            }
        }
    }

    private readonly struct ScaleKernel : IRowKernel<T, BatchArgs<T>>
    {
        public static void Run<TOps, TV>(scoped ref BatchArgs<T> args)
            where TOps : ISimd<TV, T>
            where TV : struct
        {
            ref T values = ref args.RowOfDestination(0);
            Rows<TOps, TV, T>.Map(in values, ref values, args.ClassCount, new Ops<TOps, TV, T>.Scale(args.Result));
        }
    }

    private readonly struct Add<TOps, TV> : IBinaryOp<TV>
        where TOps : ISimd<TV, T>
        where TV : struct
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public TV Invoke(TV a, TV b) => TOps.Add(a, b);
    }
}
