using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

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
        var args = new Args { Source = rows[(first * width)..], Destination = sums, Width = width, Count = count - first };
        Dispatch.Run<T, AddRowsKernel, Args>(width, ref args);
    }

    /// <summary>values[i] ·= factor.</summary>
    public static void Scale(Span<T> values, T factor)
    {
        if (values.IsEmpty)
        {
            return;
        }
        var args = new Args { Destination = values, Width = values.Length, Count = 1, Factor = factor };
        Dispatch.Run<T, ScaleKernel, Args>(values.Length, ref args);
    }

    private ref struct Args
    {
        public ReadOnlySpan<T> Source;
        public Span<T> Destination;
        public int Width;
        public int Count;
        public T Factor;
    }

    private readonly struct AddRowsKernel : IRowKernel<T, Args>
    {
        public static void Run<TOps, TV>(scoped ref Args args)
            where TOps : ISimd<TV, T>
            where TV : struct
        {
            ref T sums = ref MemoryMarshal.GetReference(args.Destination);
            ref readonly T source = ref MemoryMarshal.GetReference(args.Source);
            for (int row = 0; row < args.Count; row++)
            {
                Rows<TOps, TV, T>.Map(in sums, in Unsafe.Add(ref Unsafe.AsRef(in source), (nint)row * args.Width), ref sums, args.Width, default(Add<TOps, TV>));
            }
        }
    }

    private readonly struct ScaleKernel : IRowKernel<T, Args>
    {
        public static void Run<TOps, TV>(scoped ref Args args)
            where TOps : ISimd<TV, T>
            where TV : struct
        {
            ref T values = ref MemoryMarshal.GetReference(args.Destination);
            Rows<TOps, TV, T>.Map(in values, ref values, args.Width, new ElementOps<TOps, TV, T>.Scale(args.Factor));
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
