using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Losses.Kernels;

/// <summary>
/// Cross-entropy with integer targets over rows [start, end): the row path (online normalizer, then an optional gradient
/// pass) and, for rows of up to 128 classes, a block path that works on a vector's width of rows at once (Vector512 or Vector256).
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
    public const int BlockPathMaxClasses = 128;

    public CompensatedSum Run(int start, int end)
    {
        var args = new RangeArgs<CrossEntropyIndexJob<T>> { Job = this, Start = start, End = end };
        if (ClassCount <= BlockPathMaxClasses)
        {
            if (Avx512F.IsSupported && Vector512.IsHardwareAccelerated)
            {
                args.Start = CrossEntropyBlocks<T, V512<T>, Block512<T>, Vector512<T>>.Run(in this, start, end, ref args.Total);
            }
            else if (Avx2.IsSupported && Vector256.IsHardwareAccelerated)
            {
                args.Start = CrossEntropyBlocks<T, V256<T>, Block256<T>, Vector256<T>>.Run(in this, start, end, ref args.Total);
            }
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

        // With a gradient that does not alias the logits and no smoothing, the forward pass stores its exps into the
        // gradient and a second pass only rescales them.
        bool fused = job.Gradient != null && !smoothing && job.Gradient != job.Logits;
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
            else if (fused && FusedRow<TOps, TV>(in job, ref x, row, t, ref loss))
            {
                // Loss and gradient written with one exp per element.
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

    /// <summary>One row's loss and gradient with one exp per element; false (gradient not final) for a row without a finite maximum or sum, which the caller recomputes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool FusedRow<TOps, TV>(in CrossEntropyIndexJob<T> job, ref T x, int row, int t, ref T loss)
        where TOps : ISimd<TV, T>
        where TV : struct
    {
        int c = job.ClassCount;
        T atTarget = Unsafe.Add(ref x, t);
        ref T g = ref Unsafe.AsRef<T>(job.Gradient + ((nint)row * c));
        // Softmax's passes: max; exp(x − max) stored into the gradient and summed; one scale. One exp per element.
        T max = Rows<TOps, TV, T>.Max(in x, c);
        if (!T.IsFinite(max))
        {
            return false;
        }
        T sum = Rows<TOps, TV, T>.MapSum(in x, ref g, c, new Ops<TOps, TV, T>.ExpShift(max));
        T logSum = T.Log(sum);
        if (!T.IsFinite(logSum))
        {
            return false;
        }
        T wt = job.Weight != null ? job.Weight[t] : T.One;
        loss = wt * ((max - atTarget) + logSum);
        T a = wt * job.Scale;
        Rows<TOps, TV, T>.Map(in g, ref g, c, new Ops<TOps, TV, T>.Scale(a / sum));
        Unsafe.Add(ref g, t) -= a;
        return true;
    }
}

/// <summary>
/// The block path of <see cref="CrossEntropyIndexJob{T}"/> for short rows (C ≤ 128): a block of B = TOps.Count rows is
/// transposed in registers into a tile (one vector per class, one lane per row), so the max, the sum of exp, the log
/// and the loss are computed for B rows with full vectors and no per-row overhead. The gradient is then written
/// row-major (the block's B·C elements are exactly C vectors) with each row's max, log-sum and scale permuted into place.
/// Per-lane arithmetic is the row path's formula; only the order of the sum of exp differs (in the last bit).
/// </summary>
internal static unsafe class CrossEntropyBlocks<T, TOps, TBlock, TV>
    where T : unmanaged, IFloatingPointIeee754<T>
    where TOps : ISimd<TV, T>
    where TBlock : IBlockOps<TV, T>
    where TV : struct
{
    private const int MaxTile = CrossEntropyIndexJob<T>.BlockPathMaxClasses + 16;

    /// <summary>Processes whole blocks of rows from <paramref name="start"/>; returns the first row it did not process.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    [SkipLocalsInit]
    public static int Run(in CrossEntropyIndexJob<T> job, int start, int end, ref CompensatedSum total)
    {
        int c = job.ClassCount;
        int b = TOps.Count;
        if (end - start < b)
        {
            return start;
        }
        bool weighted = job.Weight != null;
        bool smoothing = job.Smoothing != T.Zero;
        bool gradient = job.Gradient != null;
        TV keep = TOps.Create(T.One - job.Smoothing);
        T uniformScalar = job.Smoothing / T.CreateTruncating(c);
        TV uniform = TOps.Create(uniformScalar);
        TV weightSum = TOps.Create(job.WeightSum);
        TV scale = TOps.Create(job.Scale);
        TV offset = TOps.Create(uniformScalar * job.Scale);
        TV ignoreIndex = TOps.Create(T.CreateTruncating(job.IgnoreIndex));
        TV one = TOps.Create(T.One);

        // Per-call patterns: for the k-th vector of a block, the 32-bit-lane permutation that brings each element its
        // row's value, and each element's class weight.
        Span<TV> tile = MemoryMarshal.Cast<byte, TV>(stackalloc byte[MaxTile * 64]);
        Span<TV> rowOf = MemoryMarshal.Cast<byte, TV>(stackalloc byte[MaxTile * 64]);
        Span<TV> weightOf = MemoryMarshal.Cast<byte, TV>(stackalloc byte[MaxTile * 64]);
        int* lanes = stackalloc int[16];
        T* weights = stackalloc T[16];
        T* laneTargets = stackalloc T[16];
        T* laneA = stackalloc T[16];
        T* laneIgnored = stackalloc T[16];
        int parts = sizeof(T) / sizeof(int);
        for (int k = 0; k < c; k++)
        {
            for (int j = 0; j < b; j++)
            {
                int element = (k * b) + j;
                for (int part = 0; part < parts; part++)
                {
                    lanes[(j * parts) + part] = ((element / c) * parts) + part;
                }
                weights[j] = weighted ? job.Weight[element % c] : T.One;
            }
            rowOf[k] = TOps.Load(in *(T*)lanes, 0);
            weightOf[k] = TOps.Load(in *weights, 0);
        }

        var lossSum = new LaneSum<TOps, TV, T>();
        int row = start;

        // The last group of a row's transposed load reads up to B − 1 elements past the row; the block path stops
        // where that would run past the batch and leaves the rest to the row path.
        int overread = (((c + b - 1) / b) * b) - c;
        long limit = (long)job.RowCount * c;
        for (; row + b <= end && (((long)(row + b) * c) + overread) <= limit; row += b)
        {
            T* x = job.Logits + ((nint)row * c);
            for (int group = 0; group < c; group += b)
            {
                TBlock.Transpose(x + group, c, ref tile[group]);
            }
            TV targets = TBlock.LoadTargets(job.Targets + row);
            TV max = tile[0];
            for (int k = 1; k < c; k++)
            {
                max = TOps.MaxFast(max, tile[k]);
            }
            TV sum = default;
            TV shifted = default;
            TV atTarget = default;
            TV targetWeight = one;
            for (int k = 0; k < c; k++)
            {
                TV column = tile[k];
                sum = TOps.Add(sum, VectorMath<TOps, TV, T>.Exp(TOps.Subtract(column, max)));
                TV isTarget = TOps.Equal(targets, TOps.Create(T.CreateTruncating(k)));
                atTarget = TOps.Select(isTarget, column, atTarget);
                if (weighted)
                {
                    TV wk = TOps.Create(job.Weight[k]);
                    targetWeight = TOps.Select(isTarget, wk, targetWeight);
                    if (smoothing)
                    {
                        shifted = TOps.MultiplyAdd(TOps.Subtract(max, column), wk, shifted);
                    }
                }
                else if (smoothing)
                {
                    shifted = TOps.Add(shifted, TOps.Subtract(max, column));
                }
            }
            TV logSum = VectorMath<TOps, TV, T>.Log(sum);
            TV ignored = TOps.Equal(targets, ignoreIndex);
            TV loss = TOps.Multiply(targetWeight, TOps.Add(TOps.Subtract(max, atTarget), logSum));
            if (smoothing)
            {
                loss = TOps.Add(TOps.Multiply(keep, loss), TOps.Multiply(uniform, TOps.Add(shifted, TOps.Multiply(weightSum, logSum))));
            }
            loss = TOps.Select(ignored, default, loss);
            if (job.Losses != null)
            {
                TOps.Store(loss, ref *job.Losses, (nuint)row);
            }
            lossSum.Add(loss);

            if (gradient)
            {
                TV a = TOps.Select(ignored, default, TOps.Multiply(TOps.Multiply(keep, targetWeight), scale));
                TV s = TOps.MultiplyAdd(offset, weightSum, a);
                T* g = job.Gradient + ((nint)row * c);
                GradientBlock(x, g, c, max, logSum, s, offset, weighted, rowOf, weightOf);
                // The one-hot part, row by row (from memory: extracting a variable lane is slow).
                TOps.Store(targets, ref *laneTargets, 0);
                TOps.Store(a, ref *laneA, 0);
                TOps.Store(ignored, ref *laneIgnored, 0);
                for (int j = 0; j < b; j++)
                {
                    if (T.IsNaN(laneIgnored[j]))
                    {
                        new Span<T>(g + (j * c), c).Clear();
                    }
                    else
                    {
                        g[(j * c) + int.CreateTruncating(laneTargets[j])] -= laneA[j];
                    }
                }
            }
        }
        total.Add(double.CreateTruncating(lossSum.Total()));
        return row;
    }

    /// <summary>
    /// g = exp((x − max_row) − logSum_row)·s_row − offset·w_class over the block's C vectors, each row's values permuted into
    /// place. Out of line so that the JIT inlines its exp in full (one method holding both loops exceeds its budget).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void GradientBlock(T* x, T* g, int c, TV max, TV logSum, TV s, TV offset, bool weighted, ReadOnlySpan<TV> rowOf, ReadOnlySpan<TV> weightOf)
    {
        int b = TOps.Count;
        for (int k = 0; k < c; k++)
        {
            TV r = rowOf[k];
            nuint at = (nuint)(k * b);
            TV shift = TOps.Subtract(TOps.Load(in *x, at), TBlock.Permute(max, r));
            TV p = VectorMath<TOps, TV, T>.Exp(TOps.Subtract(shift, TBlock.Permute(logSum, r)));
            TV value = TOps.Subtract(TOps.Multiply(p, TBlock.Permute(s, r)), weighted ? TOps.Multiply(offset, weightOf[k]) : offset);
            TOps.Store(value, ref *g, at);
        }
    }
}

/// <summary>The shuffles the block path needs beyond <see cref="ISimd{TV, T}"/>.</summary>
internal unsafe interface IBlockOps<TV, T>
    where TV : struct
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Writes the Count × Count block at x (rows <paramref name="stride"/> apart) transposed: column k to tile[k].</summary>
    static abstract void Transpose(T* x, int stride, ref TV tile);

    /// <summary>Count int targets, converted to T (exactly: class indices and the ignore index compare as they should).</summary>
    static abstract TV LoadTargets(int* targets);

    /// <summary>32-bit lane i of the result is 32-bit lane index[i] of <paramref name="value"/>.</summary>
    static abstract TV Permute(TV value, TV index);
}

/// <summary>Vector256 block operations (AVX2): 8 float or 4 double rows per block.</summary>
internal readonly unsafe struct Block256<T> : IBlockOps<Vector256<T>, T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Transpose(T* x, int stride, ref Vector256<T> tile)
    {
        if (typeof(T) == typeof(float))
        {
            Transpose8((float*)x, stride, out var c0, out var c1, out var c2, out var c3, out var c4, out var c5, out var c6, out var c7);
            ref Vector256<float> o = ref Unsafe.As<Vector256<T>, Vector256<float>>(ref tile);
            o = c0;
            Unsafe.Add(ref o, 1) = c1;
            Unsafe.Add(ref o, 2) = c2;
            Unsafe.Add(ref o, 3) = c3;
            Unsafe.Add(ref o, 4) = c4;
            Unsafe.Add(ref o, 5) = c5;
            Unsafe.Add(ref o, 6) = c6;
            Unsafe.Add(ref o, 7) = c7;
        }
        else
        {
            Transpose4((double*)x, stride, out var c0, out var c1, out var c2, out var c3);
            ref Vector256<double> o = ref Unsafe.As<Vector256<T>, Vector256<double>>(ref tile);
            o = c0;
            Unsafe.Add(ref o, 1) = c1;
            Unsafe.Add(ref o, 2) = c2;
            Unsafe.Add(ref o, 3) = c3;
        }
    }

    /// <summary>The 4 × 4 double transpose (unpack, permute).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Transpose4(double* d, int stride, out Vector256<double> c0, out Vector256<double> c1, out Vector256<double> c2, out Vector256<double> c3)
    {
        Vector256<double> r0 = Vector256.Load(d), r1 = Vector256.Load(d + stride), r2 = Vector256.Load(d + (2 * stride)), r3 = Vector256.Load(d + (3 * stride));
        Vector256<double> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1), t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
        c0 = Avx.Permute2x128(t0, t2, 0x20);
        c1 = Avx.Permute2x128(t1, t3, 0x20);
        c2 = Avx.Permute2x128(t0, t2, 0x31);
        c3 = Avx.Permute2x128(t1, t3, 0x31);
    }

    /// <summary>The 8 × 8 float transpose (unpack, shuffle, permute: 24 shuffles for 64 elements).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Transpose8(float* f, int stride, out Vector256<float> c0, out Vector256<float> c1, out Vector256<float> c2, out Vector256<float> c3,
        out Vector256<float> c4, out Vector256<float> c5, out Vector256<float> c6, out Vector256<float> c7)
    {
        Vector256<float> r0 = Vector256.Load(f), r1 = Vector256.Load(f + stride), r2 = Vector256.Load(f + (2 * stride)), r3 = Vector256.Load(f + (3 * stride));
        Vector256<float> r4 = Vector256.Load(f + (4 * stride)), r5 = Vector256.Load(f + (5 * stride)), r6 = Vector256.Load(f + (6 * stride)), r7 = Vector256.Load(f + (7 * stride));
        Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1), t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
        Vector256<float> t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5), t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);
        Vector256<float> s0 = Avx.Shuffle(t0, t2, 0x44), s1 = Avx.Shuffle(t0, t2, 0xEE), s2 = Avx.Shuffle(t1, t3, 0x44), s3 = Avx.Shuffle(t1, t3, 0xEE);
        Vector256<float> s4 = Avx.Shuffle(t4, t6, 0x44), s5 = Avx.Shuffle(t4, t6, 0xEE), s6 = Avx.Shuffle(t5, t7, 0x44), s7 = Avx.Shuffle(t5, t7, 0xEE);
        c0 = Avx.Permute2x128(s0, s4, 0x20);
        c1 = Avx.Permute2x128(s1, s5, 0x20);
        c2 = Avx.Permute2x128(s2, s6, 0x20);
        c3 = Avx.Permute2x128(s3, s7, 0x20);
        c4 = Avx.Permute2x128(s0, s4, 0x31);
        c5 = Avx.Permute2x128(s1, s5, 0x31);
        c6 = Avx.Permute2x128(s2, s6, 0x31);
        c7 = Avx.Permute2x128(s3, s7, 0x31);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> LoadTargets(int* targets) =>
        typeof(T) == typeof(float)
            ? Avx.ConvertToVector256Single(Vector256.Load(targets)).As<float, T>()
            : Avx.ConvertToVector256Double(Vector128.Load(targets)).As<double, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Permute(Vector256<T> value, Vector256<T> index) =>
        Avx2.PermuteVar8x32(value.AsSingle(), index.AsInt32()).As<float, T>();
}

/// <summary>Vector512 block operations (AVX-512F): 16 float or 8 double rows per block, transposed as two halves.</summary>
internal readonly unsafe struct Block512<T> : IBlockOps<Vector512<T>, T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Rows 0..h−1 and h..2h−1 (h = Count/2) are transposed as two Vector256 blocks and joined per column.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Transpose(T* x, int stride, ref Vector512<T> tile)
    {
        // Lower halves of tile[k] take rows 0..h−1, upper halves rows h..2h−1; each column is joined in registers and
        // stored whole, so that loading it back forwards from one store.
        if (typeof(T) == typeof(float))
        {
            float* f = (float*)x;
            ref Vector512<float> o = ref Unsafe.As<Vector512<T>, Vector512<float>>(ref tile);
            for (int group = 0; group < 16; group += 8)
            {
                Block256<T>.Transpose8(f + group, stride, out var l0, out var l1, out var l2, out var l3, out var l4, out var l5, out var l6, out var l7);
                Block256<T>.Transpose8(f + group + (8 * stride), stride, out var h0, out var h1, out var h2, out var h3, out var h4, out var h5, out var h6, out var h7);
                Unsafe.Add(ref o, group) = Vector512.Create(l0, h0);
                Unsafe.Add(ref o, group + 1) = Vector512.Create(l1, h1);
                Unsafe.Add(ref o, group + 2) = Vector512.Create(l2, h2);
                Unsafe.Add(ref o, group + 3) = Vector512.Create(l3, h3);
                Unsafe.Add(ref o, group + 4) = Vector512.Create(l4, h4);
                Unsafe.Add(ref o, group + 5) = Vector512.Create(l5, h5);
                Unsafe.Add(ref o, group + 6) = Vector512.Create(l6, h6);
                Unsafe.Add(ref o, group + 7) = Vector512.Create(l7, h7);
            }
        }
        else
        {
            double* d = (double*)x;
            ref Vector512<double> o = ref Unsafe.As<Vector512<T>, Vector512<double>>(ref tile);
            for (int group = 0; group < 8; group += 4)
            {
                Block256<T>.Transpose4(d + group, stride, out var l0, out var l1, out var l2, out var l3);
                Block256<T>.Transpose4(d + group + (4 * stride), stride, out var h0, out var h1, out var h2, out var h3);
                Unsafe.Add(ref o, group) = Vector512.Create(l0, h0);
                Unsafe.Add(ref o, group + 1) = Vector512.Create(l1, h1);
                Unsafe.Add(ref o, group + 2) = Vector512.Create(l2, h2);
                Unsafe.Add(ref o, group + 3) = Vector512.Create(l3, h3);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> LoadTargets(int* targets) =>
        typeof(T) == typeof(float)
            ? Avx512F.ConvertToVector512Single(Vector512.Load(targets)).As<float, T>()
            : Avx512F.ConvertToVector512Double(Vector256.Load(targets)).As<double, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Permute(Vector512<T> value, Vector512<T> index) =>
        Avx512F.PermuteVar16x32(value.AsSingle(), index.AsInt32()).As<float, T>();
}
