using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace Losses.Kernels.MatMul;

/// <summary>
/// The register tile of the matrix multiply: <see cref="Rows"/> rows × two vectors of C held in twelve accumulators,
/// updated by one fused multiply-add per accumulator per step of k from packed panels of A (<see cref="Rows"/> values per
/// step) and B (two vectors per step). Twelve accumulators hide the FMA latency (4 cycles × up to 2 per cycle) and leave
/// registers for the two B vectors and the broadcast, also with the 16 registers of AVX2.
/// </summary>
/// <remarks>
/// Each element of C is one chain c = fma(a_p, b_p, c) for p ascending, started from 0 or from C's value: the order of
/// the sum is fixed by k alone, whatever the blocking, the tiling or the thread count, and with <c>TV = T</c> (the scalar
/// path, <see cref="Scalar{T}.MultiplyAdd"/> is fused too) every width gives the same bits.
/// </remarks>
internal static unsafe class MicroKernel<TOps, TV, T>
    where TOps : ISimd<TV, T>
    where TV : struct
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Rows of C per tile (MR).</summary>
    public const int Rows = 6;

    /// <summary>Columns of C per tile (NR): two vectors.</summary>
    public static int Columns => 2 * TOps.Count;

    /// <summary>
    /// C[0..6, 0..NR) = (<paramref name="load"/> ? C : 0) + Σ_p a[p·6 + r]·b[p·NR + j], with C at <paramref name="c"/>, row stride
    /// <paramref name="ldc"/>. The tile at <paramref name="next"/> (same stride) is prefetched meanwhile: a tile of a large C
    /// is a cache miss per row, whose latency is of the order of the whole tile's arithmetic.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Run(T* a, T* b, int kc, T* c, nint ldc, bool load, T* next)
    {
        nuint w = (nuint)TOps.Count;
        if (Sse.IsSupported)
        {
            // Both cache lines of each row of the next tile (two vectors of up to 64 bytes each).
            nint last = (2 * TOps.Count) - 1;
            for (int r = 0; r < Rows; r++)
            {
                Sse.Prefetch0(next + (r * ldc));
                Sse.Prefetch0(next + (r * ldc) + last);
            }
        }
        ref T c0 = ref Unsafe.AsRef<T>(c);
        ref T c1 = ref Unsafe.AsRef<T>(c + ldc);
        ref T c2 = ref Unsafe.AsRef<T>(c + (2 * ldc));
        ref T c3 = ref Unsafe.AsRef<T>(c + (3 * ldc));
        ref T c4 = ref Unsafe.AsRef<T>(c + (4 * ldc));
        ref T c5 = ref Unsafe.AsRef<T>(c + (5 * ldc));
        TV c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        TV c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        if (load)
        {
            c00 = TOps.Load(in c0, 0);
            c01 = TOps.Load(in c0, w);
            c10 = TOps.Load(in c1, 0);
            c11 = TOps.Load(in c1, w);
            c20 = TOps.Load(in c2, 0);
            c21 = TOps.Load(in c2, w);
            c30 = TOps.Load(in c3, 0);
            c31 = TOps.Load(in c3, w);
            c40 = TOps.Load(in c4, 0);
            c41 = TOps.Load(in c4, w);
            c50 = TOps.Load(in c5, 0);
            c51 = TOps.Load(in c5, w);
        }
        for (int p = 0; p < kc; p++)
        {
            TV b0 = TOps.Load(in Unsafe.AsRef<T>(b), 0);
            TV b1 = TOps.Load(in Unsafe.AsRef<T>(b), w);
            TV a0 = TOps.Create(a[0]);
            c00 = TOps.MultiplyAdd(a0, b0, c00);
            c01 = TOps.MultiplyAdd(a0, b1, c01);
            TV a1 = TOps.Create(a[1]);
            c10 = TOps.MultiplyAdd(a1, b0, c10);
            c11 = TOps.MultiplyAdd(a1, b1, c11);
            TV a2 = TOps.Create(a[2]);
            c20 = TOps.MultiplyAdd(a2, b0, c20);
            c21 = TOps.MultiplyAdd(a2, b1, c21);
            TV a3 = TOps.Create(a[3]);
            c30 = TOps.MultiplyAdd(a3, b0, c30);
            c31 = TOps.MultiplyAdd(a3, b1, c31);
            TV a4 = TOps.Create(a[4]);
            c40 = TOps.MultiplyAdd(a4, b0, c40);
            c41 = TOps.MultiplyAdd(a4, b1, c41);
            TV a5 = TOps.Create(a[5]);
            c50 = TOps.MultiplyAdd(a5, b0, c50);
            c51 = TOps.MultiplyAdd(a5, b1, c51);
            a += Rows;
            b += 2 * (nint)w;
        }
        TOps.Store(c00, ref c0, 0);
        TOps.Store(c01, ref c0, w);
        TOps.Store(c10, ref c1, 0);
        TOps.Store(c11, ref c1, w);
        TOps.Store(c20, ref c2, 0);
        TOps.Store(c21, ref c2, w);
        TOps.Store(c30, ref c3, 0);
        TOps.Store(c31, ref c3, w);
        TOps.Store(c40, ref c4, 0);
        TOps.Store(c41, ref c4, w);
        TOps.Store(c50, ref c5, 0);
        TOps.Store(c51, ref c5, w);
    }
}
