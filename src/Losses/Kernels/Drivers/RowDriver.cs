using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Losses.Kernels;

/// <summary>
/// The one way to run work over a batch: a row op (<see cref="IRowOp{T}"/>) over rows of one length. The driver picks
/// the widest accelerated vector no longer than a row; sends whole blocks of short rows (≤ <see cref="BlockMaxClasses"/>)
/// through the op's rows-in-lanes <see cref="IRowOp{T}.Block"/> body when it has one; cuts the rows into fixed chunks
/// (their size depends on the row length only, never on the thread count) and adds the chunks' totals in chunk order, so
/// that 1, 2 or 64 threads give bitwise the same result; stores each row's value where asked; and returns the total.
/// </summary>
internal static unsafe class RowDriver
{
    /// <summary>Rows up to this long take an op's block path (one row per lane), where per-row overhead would dominate.</summary>
    public const int BlockMaxClasses = 128;

    /// <summary>Vectors per tile: a row of up to <see cref="BlockMaxClasses"/> classes, rounded up to whole transposes.</summary>
    public const int TileLength = BlockMaxClasses + 16;

    /// <summary>Tiles of scratch a block body gets.</summary>
    public const int BlockTiles = 3;

    /// <summary>About this many elements per chunk: large enough to amortise scheduling, small enough to balance 2–64 cores.</summary>
    public const int ElementsPerChunk = 1 << 15;

    /// <summary>
    /// Runs <paramref name="op"/> over <paramref name="rows"/> rows of <paramref name="rowLength"/>; stores row values in
    /// <paramref name="values"/> (unless null) and returns their total (compensated, in double). With more than one
    /// thread the chunks are shared out between the caller and the driver's worker threads (<see cref="ChunkWorkers"/>:
    /// each takes its own contiguous share first, so that the same rows stay in the same core's cache call after call,
    /// then steals what is left), or <see cref="Parallel.For(int, int, ParallelOptions, Action{int})"/> when the workers
    /// are busy with another call; that allocates a job, its closure and about 20 bytes per chunk. With one thread nothing.
    /// </summary>
    public static double Run<T, TOp>(in TOp op, int rows, int rowLength, T* values, int maxDegreeOfParallelism)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOp : struct, IRowOp<T>
    {
        var job = new Job<T, TOp> { Op = op, Values = values, Rows = rows, RowLength = rowLength };
        int perChunk = RowsPerChunk(rowLength);
        int chunks = rows == 0 ? 0 : ((rows - 1) / perChunk) + 1;
        int threads = maxDegreeOfParallelism == -1 ? Environment.ProcessorCount : maxDegreeOfParallelism;
        var total = new CompensatedSum();
        if (threads <= 1 || chunks <= 1 || Environment.ProcessorCount == 1)
        {
            for (int chunk = 0; chunk < chunks; chunk++)
            {
                int start = chunk * perChunk;
                total.Add(job.Run(start, Math.Min(rows, start + perChunk)));
            }
            return total.Value;
        }
        foreach (var partial in RunParallel(job, rows, perChunk, chunks, threads))
        {
            total.Add(partial);
        }
        return total.Value;
    }

    /// <summary>Rows per chunk; a multiple of 16 when that is at least 16, so that blocks of rows stay whole.</summary>
    public static int RowsPerChunk(int rowLength)
    {
        int rows = Math.Max(1, ElementsPerChunk / Math.Max(rowLength, 1));
        return rows >= 16 ? rows & ~15 : rows;
    }

    // Apart from Run so that the single-threaded path does not allocate.
    private static CompensatedSum[] RunParallel<T, TOp>(Job<T, TOp> job, int rows, int perChunk, int chunks, int threads)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOp : struct, IRowOp<T>
    {
        var chunkJob = new ChunksOf<T, TOp>(job, rows, perChunk, chunks, Math.Min(Math.Min(threads, Environment.ProcessorCount), chunks));
        if (!ChunkWorkers.TryRun(chunkJob))
        {
            Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = threads }, chunkJob.Run);
        }
        return chunkJob.Partials;
    }

    /// <summary>The chunks of one call, for <see cref="ChunkWorkers"/> (or <see cref="Parallel"/> when they are busy).</summary>
    private sealed class ChunksOf<T, TOp>(Job<T, TOp> job, int rows, int perChunk, int chunks, int participants) : ChunkJob(chunks, participants)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOp : struct, IRowOp<T>
    {
        public CompensatedSum[] Partials { get; } = new CompensatedSum[chunks];

        public void Run(int chunk) => RunChunk(chunk);

        protected override void RunChunk(int chunk)
        {
            int start = chunk * perChunk;
            Partials[chunk] = job.Run(start, Math.Min(rows, start + perChunk));
        }
    }

    private struct Job<T, TOp>
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOp : struct, IRowOp<T>
    {
        public TOp Op;
        public T* Values;
        public int Rows;
        public int RowLength;

        /// <summary>Rows [start, end): whole blocks of short rows first (if the op has a block body), then row by row.</summary>
        public readonly CompensatedSum Run(int start, int end)
        {
            var range = new RowRange<T, TOp> { Op = Op, Values = Values, Start = start, End = end };
            if (TOp.HasBlock && RowLength <= BlockMaxClasses)
            {
                if (Avx512F.IsSupported && Vector512.IsHardwareAccelerated)
                {
                    range.Start = Blocks<T, TOp, V512<T>, Block512<T>, Vector512<T>>(in Op, Values, Rows, RowLength, start, end, ref range.Total);
                }
                else if (Avx2.IsSupported && Vector256.IsHardwareAccelerated)
                {
                    range.Start = Blocks<T, TOp, V256<T>, Block256<T>, Vector256<T>>(in Op, Values, Rows, RowLength, start, end, ref range.Total);
                }
            }
            if (range.Start < end)
            {
                Dispatch.Run<T, RowRange<T, TOp>, RowRange<T, TOp>>(RowLength, ref range);
            }
            return range.Total;
        }
    }

    /// <summary>The row-by-row loop, at the width <see cref="Dispatch"/> picks.</summary>
    private struct RowRange<T, TOp> : IRowKernel<T, RowRange<T, TOp>>
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOp : struct, IRowOp<T>
    {
        public TOp Op;
        public T* Values;
        public int Start;
        public int End;
        public CompensatedSum Total;

        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        public static void Run<TOps, TV>(scoped ref RowRange<T, TOp> range)
            where TOps : ISimd<TV, T>
            where TV : struct
        {
            var total = range.Total;
            for (int row = range.Start; row < range.End; row++)
            {
                T value = range.Op.Row<TOps, TV>(row);
                if (range.Values != null)
                {
                    range.Values[row] = value;
                }
                total.Add(double.CreateTruncating(value));
            }
            range.Total = total;
        }
    }

    /// <summary>Whole blocks of Count rows from <paramref name="start"/> through the op's block body; returns the first row not done.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit]
    private static int Blocks<T, TOp, TOps, TBlock, TV>(in TOp op, T* values, int rows, int c, int start, int end, ref CompensatedSum total)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOp : struct, IRowOp<T>
        where TOps : ISimd<TV, T>
        where TBlock : IBlockOps<TV, T>
        where TV : struct
    {
        int b = TOps.Count;
        if (end - start < b)
        {
            return start;
        }
        Span<TV> scratch = MemoryMarshal.Cast<byte, TV>(stackalloc byte[BlockTiles * TileLength * 64]);
        var sum = new LaneSum<TOps, TV, T>();

        // The last group of a row's transposed load reads up to Count − 1 elements past the row: the block path stops
        // where that would run past the batch and leaves the rest to the row path.
        int overread = (((c + b - 1) / b) * b) - c;
        long limit = (long)rows * c;
        int row = start;
        for (; row + b <= end && (((long)(row + b) * c) + overread) <= limit; row += b)
        {
            TV value = op.Block<TOps, TBlock, TV>(row, scratch);
            if (values != null)
            {
                TOps.Store(value, ref *values, (nuint)row);
            }
            sum.Add(value);
        }
        total.Add(double.CreateTruncating(sum.Total()));
        return row;
    }

    /// <summary>Validates the multi-core option.</summary>
    public static void CheckParallelism(int maxDegreeOfParallelism)
    {
        if (maxDegreeOfParallelism == 0 || maxDegreeOfParallelism < -1)
        {
            throw new ArgumentOutOfRangeException(nameof(maxDegreeOfParallelism), maxDegreeOfParallelism, "maxDegreeOfParallelism must be positive, or −1 for all cores.");
        }
    }
}
