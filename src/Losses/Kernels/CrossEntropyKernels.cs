using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Losses.Kernels;

/// <summary>
/// Cross-entropy with integer targets over rows [start, end): the row path (online normalizer, then an optional gradient
/// pass) and, for short rows, a block path that works on <see cref="Vector256{T}.Count"/> rows at once.
/// </summary>
internal unsafe struct CrossEntropyIndexJob<T> : IRowRangeJob, IRowKernel<T, RangeArgs<CrossEntropyIndexJob<T>>>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public T* Logits;
    public int* Targets;
    public T* Weight;
    public T* Gradient;
    public T* Losses;
    public int ClassCount;
    public int RowCount;
    public int IgnoreIndex;
    public T Smoothing;
    public T WeightSum;
    public T Scale;

    /// <summary>Rows up to this long go through the block path (one row per lane), where per-row overhead would dominate.</summary>
    public const int BlockPathMaxClasses = 32;

    public CompensatedSum Run(int start, int end)
    {
        var args = new RangeArgs<CrossEntropyIndexJob<T>> { Job = this, Start = start, End = end };
        if (ClassCount <= BlockPathMaxClasses && Avx2.IsSupported && Vector256.IsHardwareAccelerated)
        {
            args.Start = CrossEntropyBlocks<T>.Run(in this, start, end, ref args.Total);
        }
        Dispatch.Run<T, CrossEntropyIndexJob<T>, RangeArgs<CrossEntropyIndexJob<T>>>(ClassCount, ref args);
        return args.Total;
    }

    public static void Run<TOps, TV>(scoped ref RangeArgs<CrossEntropyIndexJob<T>> args)
        where TOps : ISimd<TV, T>
        where TV : struct
    {
        ref readonly CrossEntropyIndexJob<T> job = ref args.Job;
        int c = job.ClassCount;
        bool weighted = job.Weight != null;
        bool smoothing = job.Smoothing != T.Zero;
        T keep = T.One - job.Smoothing;
        T uniform = job.Smoothing / T.CreateTruncating(c);
        ref readonly T w = ref Unsafe.AsRef<T>(job.Weight);
        var total = args.Total;
        for (int row = args.Start; row < args.End; row++)
        {
            ref T x = ref Unsafe.AsRef<T>(job.Logits + ((nint)row * c));
            int t = job.Targets[row];
            T loss = T.Zero;
            if (t == job.IgnoreIndex)
            {
                if (job.Gradient != null)
                {
                    new Span<T>(job.Gradient + ((nint)row * c), c).Clear();
                }
            }
            else
            {
                var norm = Rows<TOps, TV, T>.Normalizer(in x, c);
                T max = norm.Max;
                T logSum = T.Log(norm.SumOfExp);
                T wt = weighted ? job.Weight[t] : T.One;
                loss = wt * ((max - Unsafe.Add(ref x, t)) + logSum);
                if (smoothing)
                {
                    T spread = TrainingRows<TOps, TV, T>.ShiftedDot(in x, in w, weighted, max, c) + (job.WeightSum * logSum);
                    loss = (keep * loss) + (uniform * spread);
                }
                if (job.Gradient != null)
                {
                    T a = keep * wt * job.Scale;
                    T b = uniform * job.Scale;
                    ref T g = ref Unsafe.AsRef<T>(job.Gradient + ((nint)row * c));
                    TrainingRows<TOps, TV, T>.SoftmaxAffine(in x, in w, weighted, ref g, c, max, logSum, a + (b * job.WeightSum), b);
                    Unsafe.Add(ref g, t) -= a;
                }
            }
            if (job.Losses != null)
            {
                job.Losses[row] = loss;
            }
            total.Add(double.CreateTruncating(loss));
        }
        args.Total = total;
    }
}

/// <summary>
/// The block path of <see cref="CrossEntropyIndexJob{T}"/> for short rows (C ≤ 32): a block of B = Vector256&lt;T&gt;.Count
/// rows is transposed in registers into a tile (one vector per class, one lane per row), so the max, the sum of exp, the
/// log and the loss are computed for B rows with full vectors and no per-row overhead. The gradient is then written
/// row-major (the block's B·C elements are exactly C vectors) with each row's max, log-sum and scale permuted into place.
/// Per-lane arithmetic is the row path's formula; only the order of the sum of exp differs (by the last bit).
/// </summary>
internal static unsafe class CrossEntropyBlocks<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private static int B => Vector256<T>.Count;

    /// <summary>Processes whole blocks of rows from <paramref name="start"/>; returns the first row it did not process.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Run(in CrossEntropyIndexJob<T> job, int start, int end, ref CompensatedSum total)
    {
        int c = job.ClassCount;
        int b = B;
        if (end - start < b)
        {
            return start;
        }
        bool weighted = job.Weight != null;
        bool smoothing = job.Smoothing != T.Zero;
        bool gradient = job.Gradient != null;
        Vector256<T> keep = Vector256.Create(T.One - job.Smoothing);
        T uniformScalar = job.Smoothing / T.CreateTruncating(c);
        Vector256<T> uniform = Vector256.Create(uniformScalar);
        Vector256<T> weightSum = Vector256.Create(job.WeightSum);
        Vector256<T> scale = Vector256.Create(job.Scale);
        Vector256<T> offset = Vector256.Create(uniformScalar * job.Scale);
        Vector256<int> ignoreIndex = Vector256.Create(job.IgnoreIndex);

        // Per-call patterns: for the k-th vector of a block, the lane → row permutation and the lane → class weight.
        Vector256<int>* rowOf = stackalloc Vector256<int>[BlockPathMaxClassesPadded];
        Vector256<T>* weightOf = stackalloc Vector256<T>[BlockPathMaxClassesPadded];
        Vector256<T>* tile = stackalloc Vector256<T>[BlockPathMaxClassesPadded];
        int* rows = stackalloc int[8];
        T* weights = stackalloc T[8];
        for (int k = 0; k < c; k++)
        {
            for (int j = 0; j < b; j++)
            {
                int element = (k * b) + j;
                if (typeof(T) == typeof(float))
                {
                    rows[j] = element / c;
                }
                else
                {
                    rows[2 * j] = 2 * (element / c);
                    rows[(2 * j) + 1] = (2 * (element / c)) + 1;
                }
                weights[j] = weighted ? job.Weight[element % c] : T.One;
            }
            rowOf[k] = Vector256.Load(rows);
            weightOf[k] = Vector256.Load(weights);
        }

        var lossSum = new LaneSum<V256<T>, Vector256<T>, T>();
        int row = start;
        // The last group of a row's transposed load reads up to B − 1 elements past the row; the block path stops
        // where that would run past the batch and leaves the rest to the row path.
        int overread = (((c + b - 1) / b) * b) - c;
        long limit = (long)job.RowCount * c;
        for (; row + b <= end && (((long)(row + b) * c) + overread) <= limit; row += b)
        {
            T* x = job.Logits + ((nint)row * c);

            // Transpose the block into the tile (tile[k] lane j = x[j, k]) with in-register B×B transposes: each
            // group loads B columns of each row, reading up to B − 1 elements past a row (never past the batch: see Run).
            for (int group = 0; group < c; group += b)
            {
                Transpose(x + group, c, tile + group);
            }
            Vector256<int> targets = LoadTargets(job.Targets + row);
            Vector256<T> targetsAsT = TargetsAsT(targets);
            Vector256<T> max = tile[0];
            for (int k = 1; k < c; k++)
            {
                max = Vector256.MaxNative(max, tile[k]);
            }
            Vector256<T> sum = Vector256<T>.Zero;
            Vector256<T> shifted = Vector256<T>.Zero;
            Vector256<T> atTarget = Vector256<T>.Zero;
            Vector256<T> targetWeight = Vector256<T>.One;
            for (int k = 0; k < c; k++)
            {
                Vector256<T> column = tile[k];
                sum += VectorMath<V256<T>, Vector256<T>, T>.Exp(column - max);
                Vector256<T> isTarget = Vector256.Equals(targetsAsT, Vector256.Create(T.CreateTruncating(k)));
                atTarget = Vector256.ConditionalSelect(isTarget, column, atTarget);
                if (weighted)
                {
                    Vector256<T> wk = Vector256.Create(job.Weight[k]);
                    targetWeight = Vector256.ConditionalSelect(isTarget, wk, targetWeight);
                    if (smoothing)
                    {
                        shifted += (max - column) * wk;
                    }
                }
                else if (smoothing)
                {
                    shifted += max - column;
                }
            }
            Vector256<T> logSum = VectorMath<V256<T>, Vector256<T>, T>.Log(sum);

            Vector256<T> ignored = Widen(Vector256.Equals(targets, ignoreIndex));
            Vector256<T> loss = targetWeight * ((max - atTarget) + logSum);
            if (smoothing)
            {
                loss = (keep * loss) + (uniform * (shifted + (weightSum * logSum)));
            }
            loss = Vector256.ConditionalSelect(ignored, Vector256<T>.Zero, loss);

            if (job.Losses != null)
            {
                loss.Store(job.Losses + row);
            }
            lossSum.Add(loss);

            if (gradient)
            {
                Vector256<T> a = Vector256.ConditionalSelect(ignored, Vector256<T>.Zero, keep * targetWeight * scale);
                Vector256<T> s = a + (offset * weightSum);
                T* g = job.Gradient + ((nint)row * c);
                for (int k = 0; k < c; k++)
                {
                    Vector256<int> r = rowOf[k];
                    Vector256<T> p = VectorMath<V256<T>, Vector256<T>, T>.Exp((Vector256.Load(x + (k * b)) - Permute(max, r)) - Permute(logSum, r));
                    Vector256<T> value = (p * Permute(s, r)) - (weighted ? offset * weightOf[k] : offset);
                    value.Store(g + (k * b));
                }
                for (int j = 0; j < b; j++)
                {
                    if (ignored.GetElement(j) != T.Zero)
                    {
                        new Span<T>(g + (j * c), c).Clear();
                    }
                    else
                    {
                        g[(j * c) + targets.GetElement(j)] -= a.GetElement(j);
                    }
                }
            }
        }
        total.Add(double.CreateTruncating(lossSum.Total()));
        return row;
    }

    private const int BlockPathMaxClassesPadded = CrossEntropyIndexJob<T>.BlockPathMaxClasses + 8;

    /// <summary>Writes the B×B block at x (rows <paramref name="stride"/> apart) transposed: column k to tile[k].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose(T* x, int stride, Vector256<T>* tile)
    {
        if (typeof(T) == typeof(float))
        {
            float* f = (float*)x;
            Vector256<float> r0 = Vector256.Load(f), r1 = Vector256.Load(f + stride), r2 = Vector256.Load(f + (2 * stride)), r3 = Vector256.Load(f + (3 * stride));
            Vector256<float> r4 = Vector256.Load(f + (4 * stride)), r5 = Vector256.Load(f + (5 * stride)), r6 = Vector256.Load(f + (6 * stride)), r7 = Vector256.Load(f + (7 * stride));
            Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1), t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
            Vector256<float> t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5), t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);
            Vector256<float> s0 = Avx.Shuffle(t0, t2, 0x44), s1 = Avx.Shuffle(t0, t2, 0xEE), s2 = Avx.Shuffle(t1, t3, 0x44), s3 = Avx.Shuffle(t1, t3, 0xEE);
            Vector256<float> s4 = Avx.Shuffle(t4, t6, 0x44), s5 = Avx.Shuffle(t4, t6, 0xEE), s6 = Avx.Shuffle(t5, t7, 0x44), s7 = Avx.Shuffle(t5, t7, 0xEE);
            Vector256<float>* o = (Vector256<float>*)tile;
            o[0] = Avx.Permute2x128(s0, s4, 0x20);
            o[1] = Avx.Permute2x128(s1, s5, 0x20);
            o[2] = Avx.Permute2x128(s2, s6, 0x20);
            o[3] = Avx.Permute2x128(s3, s7, 0x20);
            o[4] = Avx.Permute2x128(s0, s4, 0x31);
            o[5] = Avx.Permute2x128(s1, s5, 0x31);
            o[6] = Avx.Permute2x128(s2, s6, 0x31);
            o[7] = Avx.Permute2x128(s3, s7, 0x31);
        }
        else
        {
            double* d = (double*)x;
            Vector256<double> r0 = Vector256.Load(d), r1 = Vector256.Load(d + stride), r2 = Vector256.Load(d + (2 * stride)), r3 = Vector256.Load(d + (3 * stride));
            Vector256<double> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1), t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
            Vector256<double>* o = (Vector256<double>*)tile;
            o[0] = Avx.Permute2x128(t0, t2, 0x20);
            o[1] = Avx.Permute2x128(t1, t3, 0x20);
            o[2] = Avx.Permute2x128(t0, t2, 0x31);
            o[3] = Avx.Permute2x128(t1, t3, 0x31);
        }
    }

    /// <summary>The block's targets as T lanes (exact: class indices are small), to compare with the class of a column.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<T> TargetsAsT(Vector256<int> targets) =>
        typeof(T) == typeof(float)
            ? Avx.ConvertToVector256Single(targets).As<float, T>()
            : Avx.ConvertToVector256Double(targets.GetLower()).As<double, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> LoadTargets(int* targets) =>
        typeof(T) == typeof(float) ? Vector256.Load(targets) : Vector256.Create(Vector128.Load(targets), Vector128<int>.Zero);

    /// <summary>An int mask (lanes 0..B−1 meaningful) as a mask of T lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<T> Widen(Vector256<int> mask) =>
        typeof(T) == typeof(float) ? mask.As<int, T>() : Avx2.ConvertToVector256Int64(mask.GetLower()).As<long, T>();

    /// <summary>Lane i of the result is lane index[i] of <paramref name="value"/> (index pairs for double).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<T> Permute(Vector256<T> value, Vector256<int> index) =>
        Avx2.PermuteVar8x32(value.AsSingle(), index).As<float, T>();
}
