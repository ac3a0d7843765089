using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Losses.Kernels;

/// <summary>The shuffles the block path needs beyond <see cref="ISimd{TV, T}"/>.</summary>
internal unsafe interface IBlockOps<TV, T>
    where TV : struct
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>
    /// Writes the Count × Count block at x (rows <paramref name="stride"/> apart) transposed: column k to tile[k], for
    /// k &lt; <paramref name="columns"/> at least (the last group of a short row needs only its first columns; tile[k]
    /// beyond them may be left as they were).
    /// </summary>
    static abstract void Transpose(T* x, int stride, ref TV tile, int columns);

    /// <summary>
    /// The inverse of <see cref="Transpose"/> into memory: element j of tile[k] (k &lt; <paramref name="columns"/> ≤ Count)
    /// to x[j·stride + k] for the Count rows j, touching nothing else. <paramref name="tile"/> is in memory that does not move.
    /// </summary>
    static abstract void StoreTransposed(ref TV tile, T* x, int stride, int columns);

    /// <summary>Count int targets, converted to T (exactly: class indices and the ignore index compare as they should).</summary>
    static abstract TV LoadTargets(int* targets);
}

/// <summary>Vector256 block operations (AVX2): 8 float or 4 double rows per block.</summary>
internal readonly unsafe struct Block256<T> : IBlockOps<Vector256<T>, T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Transpose(T* x, int stride, ref Vector256<T> tile, int columns)
    {
        if (typeof(T) == typeof(float))
        {
            if (columns <= 4)
            {
                ref Vector256<float> n = ref Unsafe.As<Vector256<T>, Vector256<float>>(ref tile);
                Pair8((float*)x, stride, high: false, out n, out Unsafe.Add(ref n, 1));
                if (columns > 2)
                {
                    Pair8((float*)x, stride, high: true, out Unsafe.Add(ref n, 2), out Unsafe.Add(ref n, 3));
                }
                return;
            }
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
            if (columns <= 2)
            {
                ref Vector256<double> n = ref Unsafe.As<Vector256<T>, Vector256<double>>(ref tile);
                Pair4((double*)x, stride, out n, out Unsafe.Add(ref n, 1));
                return;
            }
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

    /// <summary>
    /// Columns 0 and 1 (or, <paramref name="high"/>, 2 and 3) of 8 float rows: 128-bit loads, 4 unpacks, 4 moves, 2 joins
    /// (the last group of a row of 8k + 1 … 8k + 4 classes, where the full transpose would do 24 shuffles for 2–4 columns).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Pair8(float* f, int stride, bool high, out Vector256<float> c0, out Vector256<float> c1)
    {
        Vector128<float> r0 = Vector128.Load(f), r1 = Vector128.Load(f + stride), r2 = Vector128.Load(f + (2 * stride)), r3 = Vector128.Load(f + (3 * stride));
        Vector128<float> r4 = Vector128.Load(f + (4 * stride)), r5 = Vector128.Load(f + (5 * stride)), r6 = Vector128.Load(f + (6 * stride)), r7 = Vector128.Load(f + (7 * stride));
        Vector128<float> t0 = high ? Sse.UnpackHigh(r0, r1) : Sse.UnpackLow(r0, r1);
        Vector128<float> t2 = high ? Sse.UnpackHigh(r2, r3) : Sse.UnpackLow(r2, r3);
        Vector128<float> t4 = high ? Sse.UnpackHigh(r4, r5) : Sse.UnpackLow(r4, r5);
        Vector128<float> t6 = high ? Sse.UnpackHigh(r6, r7) : Sse.UnpackLow(r6, r7);
        c0 = Vector256.Create(Sse.MoveLowToHigh(t0, t2), Sse.MoveLowToHigh(t4, t6));
        c1 = Vector256.Create(Sse.MoveHighToLow(t2, t0), Sse.MoveHighToLow(t6, t4));
    }

    /// <summary>Columns 0 and 1 of 4 double rows: 128-bit loads, 4 unpacks, 2 joins.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Pair4(double* d, int stride, out Vector256<double> c0, out Vector256<double> c1)
    {
        Vector128<double> r0 = Vector128.Load(d), r1 = Vector128.Load(d + stride), r2 = Vector128.Load(d + (2 * stride)), r3 = Vector128.Load(d + (3 * stride));
        c0 = Vector256.Create(Sse2.UnpackLow(r0, r1), Sse2.UnpackLow(r2, r3));
        c1 = Vector256.Create(Sse2.UnpackHigh(r0, r1), Sse2.UnpackHigh(r2, r3));
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

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void StoreTransposed(ref Vector256<T> tile, T* x, int stride, int columns)
    {
        if (columns == 2)
        {
            Pairs(tile, Unsafe.Add(ref tile, 1), x, stride);
            return;
        }
        TransposeRows((T*)Unsafe.AsPointer(ref tile), Vector256<T>.Count, x, stride, columns);
    }

    /// <summary>Count vectors <paramref name="tileStride"/> elements apart at t, transposed into Count rows of x (the first <paramref name="columns"/> elements of each).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void TransposeRows(T* t, int tileStride, T* x, int stride, int columns)
    {
        if (typeof(T) == typeof(float))
        {
            Transpose8((float*)t, tileStride, out var r0, out var r1, out var r2, out var r3, out var r4, out var r5, out var r6, out var r7);
            Rows8((float*)x, stride, columns, r0, r1, r2, r3, r4, r5, r6, r7);
        }
        else
        {
            Transpose4((double*)t, tileStride, out var r0, out var r1, out var r2, out var r3);
            Rows4((double*)x, stride, columns, r0, r1, r2, r3);
        }
    }

    /// <summary>Two columns of Count rows as (a_j, b_j) pairs at rows <paramref name="stride"/> apart.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Pairs(Vector256<T> a, Vector256<T> b, T* x, int stride)
    {
        if (typeof(T) == typeof(float))
        {
            Pairs8(a.AsSingle(), b.AsSingle(), (float*)x, stride);
        }
        else
        {
            Pairs4(a.AsDouble(), b.AsDouble(), (double*)x, stride);
        }
    }

    /// <summary>8 rows of 8 floats to rows <paramref name="stride"/> apart: whole stores when all 8 columns are the row's, else masked.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Rows8(float* f, int stride, int columns, Vector256<float> r0, Vector256<float> r1, Vector256<float> r2, Vector256<float> r3,
        Vector256<float> r4, Vector256<float> r5, Vector256<float> r6, Vector256<float> r7)
    {
        if (columns == 8)
        {
            r0.Store(f);
            r1.Store(f + stride);
            r2.Store(f + (2 * stride));
            r3.Store(f + (3 * stride));
            r4.Store(f + (4 * stride));
            r5.Store(f + (5 * stride));
            r6.Store(f + (6 * stride));
            r7.Store(f + (7 * stride));
            return;
        }
        Vector256<float> mask = Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(columns)).AsSingle();
        Avx.MaskStore(f, mask, r0);
        Avx.MaskStore(f + stride, mask, r1);
        Avx.MaskStore(f + (2 * stride), mask, r2);
        Avx.MaskStore(f + (3 * stride), mask, r3);
        Avx.MaskStore(f + (4 * stride), mask, r4);
        Avx.MaskStore(f + (5 * stride), mask, r5);
        Avx.MaskStore(f + (6 * stride), mask, r6);
        Avx.MaskStore(f + (7 * stride), mask, r7);
    }

    /// <summary>4 rows of 4 doubles to rows <paramref name="stride"/> apart: whole stores when all 4 columns are the row's, else masked.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Rows4(double* d, int stride, int columns, Vector256<double> r0, Vector256<double> r1, Vector256<double> r2, Vector256<double> r3)
    {
        if (columns == 4)
        {
            r0.Store(d);
            r1.Store(d + stride);
            r2.Store(d + (2 * stride));
            r3.Store(d + (3 * stride));
            return;
        }
        Vector256<double> mask = Vector256.LessThan(Vector256<long>.Indices, Vector256.Create((long)columns)).AsDouble();
        Avx.MaskStore(d, mask, r0);
        Avx.MaskStore(d + stride, mask, r1);
        Avx.MaskStore(d + (2 * stride), mask, r2);
        Avx.MaskStore(d + (3 * stride), mask, r3);
    }

    /// <summary>Two columns of 8 float rows as (a_j, b_j) pairs, one 64-bit store per row (the inverse of <see cref="Pair8"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Pairs8(Vector256<float> a, Vector256<float> b, float* f, int stride)
    {
        Vector256<float> low = Avx.UnpackLow(a, b), high = Avx.UnpackHigh(a, b);
        Sse.StoreLow(f, low.GetLower());
        Sse.StoreHigh(f + stride, low.GetLower());
        Sse.StoreLow(f + (2 * stride), high.GetLower());
        Sse.StoreHigh(f + (3 * stride), high.GetLower());
        Sse.StoreLow(f + (4 * stride), low.GetUpper());
        Sse.StoreHigh(f + (5 * stride), low.GetUpper());
        Sse.StoreLow(f + (6 * stride), high.GetUpper());
        Sse.StoreHigh(f + (7 * stride), high.GetUpper());
    }

    /// <summary>Two columns of 4 double rows as (a_j, b_j) pairs, one 128-bit store per row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Pairs4(Vector256<double> a, Vector256<double> b, double* d, int stride)
    {
        Vector256<double> low = Avx.UnpackLow(a, b), high = Avx.UnpackHigh(a, b);
        low.GetLower().Store(d);
        high.GetLower().Store(d + stride);
        low.GetUpper().Store(d + (2 * stride));
        high.GetUpper().Store(d + (3 * stride));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> LoadTargets(int* targets) =>
        typeof(T) == typeof(float)
            ? Avx.ConvertToVector256Single(Vector256.Load(targets)).As<float, T>()
            : Avx.ConvertToVector256Double(Vector128.Load(targets)).As<double, T>();
}

/// <summary>Vector512 block operations (AVX-512F): 16 float or 8 double rows per block, transposed as two halves.</summary>
internal readonly unsafe struct Block512<T> : IBlockOps<Vector512<T>, T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>
    /// Float: in groups of 4 columns (<see cref="Columns16x4"/>). Double: rows 0..3 and 4..7 are transposed as two
    /// Vector256 blocks and joined per column.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Transpose(T* x, int stride, ref Vector512<T> tile, int columns)
    {
        // Each column is built in registers and stored whole, so that loading it back forwards from one store.
        if (typeof(T) == typeof(float))
        {
            float* f = (float*)x;
            ref Vector512<float> o = ref Unsafe.As<Vector512<T>, Vector512<float>>(ref tile);
            for (int group = 0; group < 16 && group < columns; group += 4)
            {
                Columns16x4(f + group, stride, ref Unsafe.Add(ref o, group), columns - group);
            }
        }
        else
        {
            double* d = (double*)x;
            ref Vector512<double> o = ref Unsafe.As<Vector512<T>, Vector512<double>>(ref tile);
            for (int group = 0; group < 8 && group < columns; group += 4)
            {
                if (columns - group <= 2)
                {
                    Block256<T>.Pair4(d + group, stride, out var a0, out var a1);
                    Block256<T>.Pair4(d + group + (4 * stride), stride, out var b0, out var b1);
                    Unsafe.Add(ref o, group) = Vector512.Create(a0, b0);
                    Unsafe.Add(ref o, group + 1) = Vector512.Create(a1, b1);
                    break;
                }
                Block256<T>.Transpose4(d + group, stride, out var l0, out var l1, out var l2, out var l3);
                Block256<T>.Transpose4(d + group + (4 * stride), stride, out var h0, out var h1, out var h2, out var h3);
                Unsafe.Add(ref o, group) = Vector512.Create(l0, h0);
                Unsafe.Add(ref o, group + 1) = Vector512.Create(l1, h1);
                Unsafe.Add(ref o, group + 2) = Vector512.Create(l2, h2);
                Unsafe.Add(ref o, group + 3) = Vector512.Create(l3, h3);
            }
        }
    }

    /// <summary>
    /// Columns 0–3 (0–1 when <paramref name="columns"/> ≤ 2) of 16 float rows <paramref name="stride"/> apart into o[0..4):
    /// vector m (m &lt; 4) holds the 128-bit pieces of rows m, 4 + m, 8 + m and 12 + m, so that a 4 × 4 transpose within
    /// each 128-bit lane (8 unpacks) leaves column k of rows 0–15 in order. 16 loads, 12 inserts and 8 shuffles for 4
    /// columns, where two 8 × 8 transposes and their joins take 56 shuffles for 8.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Columns16x4(float* f, int stride, ref Vector512<float> o, int columns)
    {
        Vector512<float> a0 = Rows4(f, stride), a1 = Rows4(f + stride, stride), a2 = Rows4(f + (2 * stride), stride), a3 = Rows4(f + (3 * stride), stride);
        Vector512<double> t0 = Avx512F.UnpackLow(a0, a1).AsDouble(), t2 = Avx512F.UnpackLow(a2, a3).AsDouble();
        o = Avx512F.UnpackLow(t0, t2).AsSingle();
        Unsafe.Add(ref o, 1) = Avx512F.UnpackHigh(t0, t2).AsSingle();
        if (columns > 2)
        {
            Vector512<double> t1 = Avx512F.UnpackHigh(a0, a1).AsDouble(), t3 = Avx512F.UnpackHigh(a2, a3).AsDouble();
            Unsafe.Add(ref o, 2) = Avx512F.UnpackLow(t1, t3).AsSingle();
            Unsafe.Add(ref o, 3) = Avx512F.UnpackHigh(t1, t3).AsSingle();
        }
    }

    /// <summary>
    /// The inverse of <see cref="Columns16x4"/>: columns c[0..4) of 16 rows into the first 4 floats of rows
    /// <paramref name="stride"/> apart at f; 8 in-lane unpacks, then one 128-bit store per row.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Rows16x4(ref Vector512<float> c, float* f, int stride)
    {
        Vector512<float> c0 = c, c1 = Unsafe.Add(ref c, 1), c2 = Unsafe.Add(ref c, 2), c3 = Unsafe.Add(ref c, 3);
        Vector512<double> t0 = Avx512F.UnpackLow(c0, c1).AsDouble(), t1 = Avx512F.UnpackHigh(c0, c1).AsDouble();
        Vector512<double> t2 = Avx512F.UnpackLow(c2, c3).AsDouble(), t3 = Avx512F.UnpackHigh(c2, c3).AsDouble();
        Lanes4(Avx512F.UnpackLow(t0, t2).AsSingle(), f, stride);
        Lanes4(Avx512F.UnpackHigh(t0, t2).AsSingle(), f + stride, stride);
        Lanes4(Avx512F.UnpackLow(t1, t3).AsSingle(), f + (2 * stride), stride);
        Lanes4(Avx512F.UnpackHigh(t1, t3).AsSingle(), f + (3 * stride), stride);
    }

    /// <summary>The 128-bit lanes of <paramref name="a"/> to rows 0, 4, 8 and 12 (<paramref name="stride"/> apart) at f.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Lanes4(Vector512<float> a, float* f, int stride)
    {
        a.GetLower().GetLower().Store(f);
        Avx512F.ExtractVector128(a, 1).Store(f + (4 * stride));
        Avx512F.ExtractVector128(a, 2).Store(f + (8 * stride));
        Avx512F.ExtractVector128(a, 3).Store(f + (12 * stride));
    }

    /// <summary>The first 4 floats of rows 0, 4, 8 and 12 (<paramref name="stride"/> apart), one per 128-bit lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Rows4(float* f, int stride) =>
        Vector512.Create(
            Vector256.Create(Vector128.Load(f), Vector128.Load(f + (4 * stride))),
            Vector256.Create(Vector128.Load(f + (8 * stride)), Vector128.Load(f + (12 * stride))));

    /// <summary>
    /// Float: whole groups of 4 columns as the inverse of <see cref="Columns16x4"/> (<see cref="Rows16x4"/>). The rest (all
    /// of a double tile) in column groups of h = Count/2: lower halves are rows 0..h−1, upper halves rows h..2h−1.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void StoreTransposed(ref Vector512<T> tile, T* x, int stride, int columns)
    {
        int h = Vector256<T>.Count;
        T* t = (T*)Unsafe.AsPointer(ref tile);
        int group = 0;
        if (typeof(T) == typeof(float))
        {
            for (; group + 4 <= columns; group += 4)
            {
                Rows16x4(ref Unsafe.As<Vector512<T>, Vector512<float>>(ref Unsafe.Add(ref tile, group)), (float*)x + group, stride);
            }
        }
        for (; group < columns; group += h)
        {
            int count = Math.Min(h, columns - group);
            if (count == 2)
            {
                Vector512<T> a = Unsafe.Add(ref tile, group), b = Unsafe.Add(ref tile, group + 1);
                Block256<T>.Pairs(a.GetLower(), b.GetLower(), x + group, stride);
                Block256<T>.Pairs(a.GetUpper(), b.GetUpper(), x + group + (h * stride), stride);
                continue;
            }
            Block256<T>.TransposeRows(t + (group * 2 * h), 2 * h, x + group, stride, count);
            Block256<T>.TransposeRows(t + (group * 2 * h) + h, 2 * h, x + group + (h * stride), stride, count);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> LoadTargets(int* targets) =>
        typeof(T) == typeof(float)
            ? Avx512F.ConvertToVector512Single(Vector512.Load(targets)).As<float, T>()
            : Avx512F.ConvertToVector512Double(Vector256.Load(targets)).As<double, T>();
}
