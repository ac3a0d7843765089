using System.Numerics;
using System.Runtime.CompilerServices;

namespace Losses.Kernels;

/// <summary>
/// A piece of a training loss over rows [start, end) of a batch: writes the per-row losses and gradients it was asked
/// for and returns the sum of its losses. Jobs hold raw pointers to pinned spans, so that the same job can run on
/// several threads; the public method pins and validates.
/// </summary>
internal interface IRowRangeJob
{
    /// <summary>The sum of the losses of rows [<paramref name="start"/>, <paramref name="end"/>).</summary>
    CompensatedSum Run(int start, int end);
}

/// <summary>A sum in double kept with a Neumaier compensation term (about 106 bits), so that the order of a long sum barely matters.</summary>
internal struct CompensatedSum
{
    public double Sum;
    public double Compensation;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Add(double value)
    {
        double t = Sum + value;
        if (double.IsFinite(t))
        {
            Compensation += Math.Abs(Sum) >= Math.Abs(value) ? (Sum - t) + value : (value - t) + Sum;
        }
        Sum = t;
    }

    public void Add(CompensatedSum other)
    {
        Add(other.Sum);
        Add(other.Compensation);
    }

    public readonly double Value => double.IsFinite(Sum) ? Sum + Compensation : Sum;
}

/// <summary>
/// Fixed chunking of a batch for the multi-core option. A chunk is a run of whole rows whose size depends only on the
/// row length (never on the thread count); every chunk's partial sum is computed the same way on any thread, and the
/// partial sums are combined in chunk order. So the result is bitwise identical for any number of threads, including 1.
/// </summary>
internal static class Chunks
{
    /// <summary>About this many elements per chunk: large enough to amortise scheduling, small enough to balance 2–64 cores.</summary>
    public const int ElementsPerChunk = 1 << 15;

    /// <summary>Rows per chunk; a multiple of 16 when that is at least 16, so that kernels working on blocks of rows stay whole.</summary>
    public static int RowsPerChunk(int rowLength)
    {
        int rows = Math.Max(1, ElementsPerChunk / Math.Max(rowLength, 1));
        return rows >= 16 ? rows & ~15 : rows;
    }

    /// <summary>
    /// Runs <paramref name="job"/> over <paramref name="rows"/> rows in fixed chunks and returns the total. With more
    /// than one thread it allocates one closure, the task machinery of <see cref="Parallel.For(int, int, ParallelOptions, Action{int})"/>
    /// and 16 bytes per chunk; with one thread it allocates nothing.
    /// </summary>
    public static double Sum<TJob>(TJob job, int rows, int rowLength, int maxDegreeOfParallelism)
        where TJob : struct, IRowRangeJob
    {
        int perChunk = RowsPerChunk(rowLength);
        int chunks = rows == 0 ? 0 : ((rows - 1) / perChunk) + 1;
        int threads = maxDegreeOfParallelism == -1 ? Environment.ProcessorCount : maxDegreeOfParallelism;
        var total = new CompensatedSum();
        if (threads <= 1 || chunks <= 1)
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

    // Apart from Sum so that the single-threaded path does not allocate the closure.
    private static CompensatedSum[] RunParallel<TJob>(TJob job, int rows, int perChunk, int chunks, int threads)
        where TJob : struct, IRowRangeJob
    {
        var partials = new CompensatedSum[chunks];
        Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = threads }, chunk =>
        {
            int start = chunk * perChunk;
            partials[chunk] = job.Run(start, Math.Min(rows, start + perChunk));
        });
        return partials;
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

/// <summary>Row loops of the training losses that need more than one input row at a time.</summary>
internal static class TrainingRows<TOps, TV, T>
    where TOps : ISimd<TV, T>
    where TV : struct
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Σ wᵢ·(shift − xᵢ) (or Σ (shift − xᵢ) without weights): the label-smoothing term in a form that never cancels.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static T ShiftedDot(ref readonly T x, ref readonly T weight, bool weighted, T shift, int length)
    {
        nuint count = (nuint)TOps.Count;
        nuint n = (nuint)length;
        TV s = TOps.Create(shift);
        var sum = new LaneSum<TOps, TV, T>();
        nuint i = 0;
        for (; i + count <= n; i += count)
        {
            TV d = TOps.Subtract(s, TOps.Load(in x, i));
            sum.Add(weighted ? TOps.Multiply(d, TOps.Load(in weight, i)) : d);
        }
        if (i < n)
        {
            nuint start = n - count;
            TV keep = TOps.GreaterThanOrEqual(TOps.Indices, TOps.Create(T.CreateTruncating(i - start)));
            TV d = TOps.Subtract(s, TOps.Load(in x, start));
            sum.Add(TOps.Select(keep, weighted ? TOps.Multiply(d, TOps.Load(in weight, start)) : d, default));
        }
        return sum.Total();
    }

    /// <summary>
    /// The cross-entropy gradient of a row (up to the target's own −a): g = exp((x − shift) − logSum)·scale − offset·w
    /// (w = 1 without weights). In place safe.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void SoftmaxAffine(ref readonly T x, ref readonly T weight, bool weighted, ref T gradient, int length, T shift, T logSum, T scale, T offset)
    {
        nuint count = (nuint)TOps.Count;
        nuint last = (nuint)length - count;
        TV m = TOps.Create(shift);
        TV l = TOps.Create(logSum);
        TV s = TOps.Create(scale);
        TV o = TOps.Create(offset);
        TV lastX = TOps.Load(in x, last);
        for (nuint i = 0; i < last; i += count)
        {
            TV p = VectorMath<TOps, TV, T>.Exp(TOps.Subtract(TOps.Subtract(TOps.Load(in x, i), m), l));
            TV off = weighted ? TOps.Multiply(o, TOps.Load(in weight, i)) : o;
            TOps.Store(TOps.Subtract(TOps.Multiply(p, s), off), ref gradient, i);
        }
        {
            TV p = VectorMath<TOps, TV, T>.Exp(TOps.Subtract(TOps.Subtract(lastX, m), l));
            TV off = weighted ? TOps.Multiply(o, TOps.Load(in weight, last)) : o;
            TOps.Store(TOps.Subtract(TOps.Multiply(p, s), off), ref gradient, last);
        }
    }

    /// <summary>
    /// For soft targets y with smoothing ε over C classes (y' = (1 − ε)·y + ε/C) and weights w: returns
    /// (Σ w·y', Σ w·y'·(shift − x)).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static (T Mass, T Shifted) SoftTargetSums(ref readonly T x, ref readonly T y, ref readonly T weight, bool weighted, T keep, T uniform, T shift, int length)
    {
        nuint count = (nuint)TOps.Count;
        nuint n = (nuint)length;
        TV s = TOps.Create(shift);
        TV k = TOps.Create(keep);
        TV u = TOps.Create(uniform);
        var mass = new LaneSum<TOps, TV, T>();
        var shifted = new LaneSum<TOps, TV, T>();
        nuint i = 0;
        for (; i + count <= n; i += count)
        {
            TV yw = TOps.MultiplyAdd(TOps.Load(in y, i), k, u);
            yw = weighted ? TOps.Multiply(yw, TOps.Load(in weight, i)) : yw;
            mass.Add(yw);
            shifted.Add(TOps.Multiply(yw, TOps.Subtract(s, TOps.Load(in x, i))));
        }
        if (i < n)
        {
            nuint start = n - count;
            TV mask = TOps.GreaterThanOrEqual(TOps.Indices, TOps.Create(T.CreateTruncating(i - start)));
            TV yw = TOps.MultiplyAdd(TOps.Load(in y, start), k, u);
            yw = weighted ? TOps.Multiply(yw, TOps.Load(in weight, start)) : yw;
            mass.Add(TOps.Select(mask, yw, default));
            shifted.Add(TOps.Select(mask, TOps.Multiply(yw, TOps.Subtract(s, TOps.Load(in x, start))), default));
        }
        return (mass.Total(), shifted.Total());
    }

    /// <summary>
    /// The soft-target cross-entropy gradient of a row: g = (exp((x − shift) − logSum)·mass − w·y')·scale. In place safe
    /// with respect to x.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void SoftTargetGradient(ref readonly T x, ref readonly T y, ref readonly T weight, bool weighted, ref T gradient, int length,
        T keep, T uniform, T shift, T logSum, T mass, T scale)
    {
        nuint count = (nuint)TOps.Count;
        nuint last = (nuint)length - count;
        TV m = TOps.Create(shift);
        TV l = TOps.Create(logSum);
        TV a = TOps.Create(mass);
        TV s = TOps.Create(scale);
        TV k = TOps.Create(keep);
        TV u = TOps.Create(uniform);
        TV lastX = TOps.Load(in x, last);
        for (nuint i = 0; ; i += count)
        {
            bool tail = i >= last;
            nuint at = tail ? last : i;
            TV xv = tail ? lastX : TOps.Load(in x, at);
            TV yw = TOps.MultiplyAdd(TOps.Load(in y, at), k, u);
            yw = weighted ? TOps.Multiply(yw, TOps.Load(in weight, at)) : yw;
            TV p = VectorMath<TOps, TV, T>.Exp(TOps.Subtract(TOps.Subtract(xv, m), l));
            TOps.Store(TOps.Multiply(TOps.Subtract(TOps.Multiply(p, a), yw), s), ref gradient, at);
            if (tail)
            {
                break;
            }
        }
    }
}

/// <summary>A job and the range of rows one call of its kernel covers; the kernel leaves the sum of its losses in <see cref="Total"/>.</summary>
internal struct RangeArgs<TJob>
    where TJob : struct
{
    public TJob Job;
    public int Start;
    public int End;
    public CompensatedSum Total;
}
