using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Losses.Kernels.MatMul;

/// <summary>
/// Whole-row vector passes of the fused LM head: column sums of a row-major block (the bias gradient), broadcasting a row
/// (the bias into the logits) and scaling. The first two split the columns between threads: every element is computed
/// by the same operations in the same order whatever the split, so the thread count changes no bit.
/// </summary>
internal static class ColumnSums<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Below this many elements a pass stays on one thread: the task machinery would cost more than it saves.</summary>
    private const int ParallelElements = 1 << 18;

    /// <summary>Columns per part of a parallel pass at least: whole cache lines, and enough to amortise a task.</summary>
    private const int PartColumns = 1024;

    /// <summary>Parts per thread of a parallel pass at most.</summary>
    private const int PartsPerThread = 8;

    /// <summary>
    /// sums[j] = (accumulate ? sums[j] : 0) + rows[0, j] + rows[1, j] + …, added in row order, so that summing a batch in
    /// consecutive blocks (or its columns in parts) gives the same bits as summing it at once. Rows are
    /// <paramref name="stride"/> elements apart; <paramref name="rows"/> ends with the last row's <paramref name="width"/> columns.
    /// </summary>
    public static void AddRows(ReadOnlySpan<T> rows, int width, int stride, Span<T> sums, bool accumulate, int maxDegreeOfParallelism = 1)
    {
        int count = (rows.Length + stride - width) / stride;
        var args = new Args { Source = rows, Destination = sums[..width], Width = width, Stride = stride, Count = count, Accumulate = accumulate };
        Run<AddRowsKernel>(ref args, count * width, maxDegreeOfParallelism);
    }

    /// <summary>Every row of <paramref name="rows"/> (a multiple of row's length) = <paramref name="row"/>.</summary>
    public static void Broadcast(ReadOnlySpan<T> row, Span<T> rows, int maxDegreeOfParallelism = 1)
    {
        var args = new Args { Source = row, Destination = rows, Width = row.Length, Stride = row.Length, Count = rows.Length / row.Length };
        Run<BroadcastKernel>(ref args, rows.Length, maxDegreeOfParallelism);
    }

    /// <summary>values[i] ·= factor.</summary>
    public static void Scale(Span<T> values, T factor, int maxDegreeOfParallelism = 1)
    {
        if (values.IsEmpty)
        {
            return;
        }
        var args = new Args { Source = values, Destination = values, Width = values.Length, Stride = values.Length, Count = 1, Factor = factor };
        Run<ScaleKernel>(ref args, values.Length, maxDegreeOfParallelism);
    }

    /// <summary>Runs a column pass on one thread, or on parts of whole <see cref="PartColumns"/> columns over several.</summary>
    private static unsafe void Run<TKernel>(ref Args args, int elements, int maxDegreeOfParallelism)
        where TKernel : IRowKernel<T, Args>
    {
        int threads = maxDegreeOfParallelism == -1 ? Environment.ProcessorCount : maxDegreeOfParallelism;
        int blocks = (args.Width + PartColumns - 1) / PartColumns;
        if (threads <= 1 || blocks <= 1 || elements < ParallelElements)
        {
            Dispatch.Run<T, TKernel, Args>(args.Width, ref args);
            return;
        }
        int parts = Math.Min(blocks, threads * PartsPerThread);
        int partColumns = ((blocks + parts - 1) / parts) * PartColumns;
        parts = (args.Width + partColumns - 1) / partColumns;
        fixed (T* source = args.Source)
        fixed (T* destination = args.Destination)
        {
            var part = new Part(source, args.Source.Length, destination, args.Destination.Length, args.Width, args.Stride, args.Count, args.Accumulate, args.Factor);
            RunParallel<TKernel>(part, parts, partColumns, threads);
        }
    }

    // Apart from Run so that the single-threaded path does not allocate the closure.
    private static unsafe void RunParallel<TKernel>(Part part, int parts, int partColumns, int threads)
        where TKernel : IRowKernel<T, Args>
    {
        Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = threads }, index =>
        {
            int first = index * partColumns;
            int width = Math.Min(partColumns, part.Width - first);
            var args = new Args
            {
                Source = new ReadOnlySpan<T>(part.Source, part.SourceLength)[first..],
                Destination = new Span<T>(part.Destination, part.DestinationLength)[first..],
                Width = width,
                Stride = part.Stride,
                Count = part.Count,
                Accumulate = part.Accumulate,
                Factor = part.Factor,
            };
            Dispatch.Run<T, TKernel, Args>(width, ref args);
        });
    }

    private readonly unsafe struct Part(T* source, int sourceLength, T* destination, int destinationLength, int width, int stride, int count, bool accumulate, T factor)
    {
        public readonly T* Source = source;
        public readonly int SourceLength = sourceLength;
        public readonly T* Destination = destination;
        public readonly int DestinationLength = destinationLength;
        public readonly int Width = width;
        public readonly int Stride = stride;
        public readonly int Count = count;
        public readonly bool Accumulate = accumulate;
        public readonly T Factor = factor;
    }

    /// <summary>Width columns of Count rows, Stride elements apart.</summary>
    private ref struct Args
    {
        public ReadOnlySpan<T> Source;
        public Span<T> Destination;
        public int Width;
        public int Stride;
        public int Count;
        public bool Accumulate;
        public T Factor;
    }

    /// <summary>Destination[0..Width) (+)= the source rows in order.</summary>
    private readonly struct AddRowsKernel : IRowKernel<T, Args>
    {
        public static void Run<TOps, TV>(scoped ref Args args)
            where TOps : ISimd<TV, T>
            where TV : struct
        {
            Span<T> sums = args.Destination[..args.Width];
            int first = 0;
            if (!args.Accumulate)
            {
                if (args.Count == 0)
                {
                    sums.Clear();
                    return;
                }
                args.Source[..args.Width].CopyTo(sums);
                first = 1;
            }
            ref T sum = ref MemoryMarshal.GetReference(sums);
            ref readonly T source = ref MemoryMarshal.GetReference(args.Source);
            for (int row = first; row < args.Count; row++)
            {
                Rows<TOps, TV, T>.Map(in sum, in Unsafe.Add(ref Unsafe.AsRef(in source), (nint)row * args.Stride), ref sum, args.Width, default(Add<TOps, TV>));
            }
        }
    }

    /// <summary>Every destination row's Width columns = Source[0..Width).</summary>
    private readonly struct BroadcastKernel : IRowKernel<T, Args>
    {
        public static void Run<TOps, TV>(scoped ref Args args)
            where TOps : ISimd<TV, T>
            where TV : struct
        {
            ReadOnlySpan<T> row = args.Source[..args.Width];
            for (int r = 0; r < args.Count; r++)
            {
                row.CopyTo(args.Destination.Slice(r * args.Stride, args.Width));
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
