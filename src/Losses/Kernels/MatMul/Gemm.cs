using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Losses.Kernels.MatMul;

/// <summary>
/// A matrix operand seen through strides: element (i, p) of op(X) is <c>Data[i·RowStride + p·ColStride]</c>. A row-major
/// [rows × cols] matrix is (cols, 1); its transpose is (1, cols). One of the strides is always 1.
/// </summary>
internal readonly unsafe struct MatrixView<T>(T* data, nint rowStride, nint colStride)
    where T : unmanaged
{
    public readonly T* Data = data;
    public readonly nint RowStride = rowStride;
    public readonly nint ColStride = colStride;

    /// <summary>The transpose of this view (no copy).</summary>
    public MatrixView<T> Transposed => new(Data, ColStride, RowStride);
}

/// <summary>
/// C (+)= op(A)·op(B) for float and double: a blocked, packed matrix multiply in the manner of BLIS/GotoBLAS. For each
/// block of <see cref="ColumnBlock"/> columns of C and <see cref="DepthBlock"/> steps of k, a panel of op(B) is packed
/// into contiguous strips of NR columns (kept in L3/L2 and reused by every row block); for each block of
/// <see cref="RowBlock"/> rows a panel of op(A) is packed into strips of 6 rows (kept in L2); the
/// <see cref="MicroKernel{TOps, TV, T}"/> then runs over every 6 × NR tile. Packing zero-pads the ragged edges, so the
/// micro-kernel always runs whole tiles; edge tiles go through a small stack tile.
/// </summary>
/// <remarks>
/// Determinism: each element of C is one FMA chain over k in ascending order (see <see cref="MicroKernel{TOps, TV, T}"/>);
/// blocks of k after the first resume the chain from C. Results are therefore independent of the block sizes, of the
/// thread count (threads own disjoint tiles of C) and of the vector width. Packing buffers are pinned, allocated once per
/// thread and reused: a call on one thread allocates nothing once warm.
/// </remarks>
internal static unsafe class Gemm<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Steps of k per packed panel (KC): a strip of B (KC × NR) stays in L1 while the strips of A stream past.</summary>
    public static int DepthBlock => 256;

    /// <summary>Rows of C per packed block of A (MC, a multiple of 6): MC × KC elements stay in L2.</summary>
    public static int RowBlock => typeof(T) == typeof(float) ? 144 : 72;

    /// <summary>Columns of C per packed block of B (NC, a multiple of every NR): KC × NC elements.</summary>
    public static int ColumnBlock => 2048;

    /// <summary>Elements of the per-thread packing buffer.</summary>
    public static int ScratchLength => (RowBlock * DepthBlock) + (DepthBlock * ColumnBlock);

    /// <summary>
    /// C[m × n] = op(A)·op(B) (or C += op(A)·op(B) when <paramref name="accumulate"/>), with k the inner dimension and
    /// C row-major with row stride <paramref name="ldc"/>. Inputs are assumed valid and C not to overlap A or B.
    /// </summary>
    public static void Multiply(MatrixView<T> a, MatrixView<T> b, T* c, nint ldc, int m, int n, int k, bool accumulate, int maxDegreeOfParallelism)
    {
        if (m == 0 || n == 0)
        {
            return;
        }
        if (k == 0)
        {
            if (!accumulate)
            {
                for (int i = 0; i < m; i++)
                {
                    new Span<T>(c + (i * ldc), n).Clear();
                }
            }
            return;
        }
        var problem = new Problem { A = a, B = b, C = c, Ldc = ldc, M = m, N = n, K = k, Accumulate = accumulate };
        int threads = maxDegreeOfParallelism == -1 ? Environment.ProcessorCount : maxDegreeOfParallelism;
        if (V512<T>.IsAccelerated)
        {
            Driver<V512<T>, Vector512<T>>.Run(in problem, threads);
        }
        else if (V256<T>.IsAccelerated)
        {
            Driver<V256<T>, Vector256<T>>.Run(in problem, threads);
        }
        else if (V128<T>.IsAccelerated)
        {
            Driver<V128<T>, Vector128<T>>.Run(in problem, threads);
        }
        else
        {
            Driver<Scalar<T>, T>.Run(in problem, threads);
        }
    }

    private struct Problem
    {
        public MatrixView<T> A;
        public MatrixView<T> B;
        public T* C;
        public nint Ldc;
        public int M;
        public int N;
        public int K;
        public bool Accumulate;
    }

    /// <summary>Per-thread packing buffer, pinned so that its address can be held across the blocked loops.</summary>
    private static class Scratch
    {
        [ThreadStatic]
        private static T[]? s_buffer;

        public static T* Get()
        {
            s_buffer ??= GC.AllocateUninitializedArray<T>(ScratchLength, pinned: true);
            return (T*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(s_buffer));
        }
    }

    private static class Driver<TOps, TV>
        where TOps : ISimd<TV, T>
        where TV : struct
    {
        private const int Mr = MicroKernel<TOps, TV, T>.Rows;

        private static int Nr => MicroKernel<TOps, TV, T>.Columns;

        public static void Run(in Problem problem, int threads)
        {
            // Below about a million multiply-adds the task machinery costs more than it saves.
            if (threads <= 1 || (long)problem.M * problem.N * problem.K < (1L << 20))
            {
                Block(in problem, 0, problem.M, 0, problem.N);
                return;
            }
            RunParallel(problem, threads);
        }

        // Threads own disjoint ranges of whole NR-column strips or of whole 6-row strips, so no element of C is touched by
        // two threads and the partition cannot change any bits. Each thread packs all of op(A) when C is split by columns
        // and all of op(B) when it is split by rows: splitting the dimension with more strips keeps that repeated packing to
        // the smaller operand (in the LM head's ∂W = Gᵀ·H, splitting the 256 columns would pack the whole gradient twice).
        private static void RunParallel(Problem problem, int threads)
        {
            int columnStrips = (problem.N + Nr - 1) / Nr;
            int rowStrips = (problem.M + Mr - 1) / Mr;
            bool byColumns = columnStrips >= rowStrips;
            int strips = byColumns ? columnStrips : rowStrips;
            int parts = Math.Min(threads, strips);
            Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = threads }, part =>
            {
                int first = (int)((long)strips * part / parts);
                int last = (int)((long)strips * (part + 1) / parts);
                if (byColumns)
                {
                    Block(in problem, 0, problem.M, first * Nr, Math.Min(problem.N, last * Nr));
                }
                else
                {
                    Block(in problem, first * Mr, Math.Min(problem.M, last * Mr), 0, problem.N);
                }
            });
        }

        /// <summary>The serial blocked loops over C[i0..i1, j0..j1).</summary>
        private static void Block(in Problem problem, int i0, int i1, int j0, int j1)
        {
            int nr = Nr;
            T* packedA = Scratch.Get();
            T* packedB = packedA + (RowBlock * DepthBlock);
            T* tile = stackalloc T[Mr * nr];
            MatrixView<T> a = problem.A;
            MatrixView<T> bt = problem.B.Transposed;
            for (int jc = j0; jc < j1; jc += ColumnBlock)
            {
                int nc = Math.Min(ColumnBlock, j1 - jc);
                for (int pc = 0; pc < problem.K; pc += DepthBlock)
                {
                    int kc = Math.Min(DepthBlock, problem.K - pc);
                    for (int jr = 0; jr < nc; jr += nr)
                    {
                        Pack(bt, jc + jr, Math.Min(nr, nc - jr), nr, pc, kc, packedB + ((nint)jr * kc));
                    }
                    bool load = problem.Accumulate || pc > 0;
                    for (int ic = i0; ic < i1; ic += RowBlock)
                    {
                        int mc = Math.Min(RowBlock, i1 - ic);
                        for (int ir = 0; ir < mc; ir += Mr)
                        {
                            Pack(a, ic + ir, Math.Min(Mr, mc - ir), Mr, pc, kc, packedA + ((nint)ir * kc));
                        }
                        for (int jr = 0; jr < nc; jr += nr)
                        {
                            int cols = Math.Min(nr, nc - jr);
                            for (int ir = 0; ir < mc; ir += Mr)
                            {
                                int rows = Math.Min(Mr, mc - ir);
                                T* ap = packedA + ((nint)ir * kc);
                                T* bp = packedB + ((nint)jr * kc);
                                T* cij = problem.C + ((nint)(ic + ir) * problem.Ldc) + jc + jr;
                                if (rows == Mr && cols == nr)
                                {
                                    MicroKernel<TOps, TV, T>.Run(ap, bp, kc, cij, problem.Ldc, load, cij + (Mr * problem.Ldc));
                                }
                                else
                                {
                                    EdgeTile(ap, bp, kc, cij, problem.Ldc, rows, cols, load, tile);
                                }
                            }
                        }
                    }
                }
            }
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        private static void EdgeTile(T* ap, T* bp, int kc, T* c, nint ldc, int rows, int cols, bool load, T* tile)
        {
            int nr = Nr;
            if (load)
            {
                for (int r = 0; r < rows; r++)
                {
                    new ReadOnlySpan<T>(c + (r * ldc), cols).CopyTo(new Span<T>(tile + (r * nr), cols));
                }
            }
            MicroKernel<TOps, TV, T>.Run(ap, bp, kc, tile, nr, load, tile);
            for (int r = 0; r < rows; r++)
            {
                new ReadOnlySpan<T>(tile + (r * nr), cols).CopyTo(new Span<T>(c + (r * ldc), cols));
            }
        }

        /// <summary>
        /// Packs <paramref name="lanes"/> rows of the view, from row <paramref name="first"/>, over columns [p0, p0 + kc), as
        /// dst[p·width + lane]; lanes from <paramref name="lanes"/> to <paramref name="width"/> are zero.
        /// </summary>
        private static void Pack(MatrixView<T> view, int first, int lanes, int width, int p0, int kc, T* dst)
        {
            T* src = view.Data + ((nint)first * view.RowStride) + ((nint)p0 * view.ColStride);
            if (view.RowStride == 1)
            {
                // The lanes of one step of k are contiguous (A stored transposed, or B stored k-major): copy them.
                nint step = view.ColStride;
                for (int p = 0; p < kc; p++)
                {
                    new ReadOnlySpan<T>(src + (p * step), lanes).CopyTo(new Span<T>(dst + ((nint)p * width), lanes));
                }
            }
            else
            {
                // Each lane is contiguous along k: a transpose, four lanes at a time to keep the reads streaming.
                nint stride = view.RowStride;
                int lane = 0;
                for (; lane + 4 <= lanes; lane += 4)
                {
                    T* s0 = src + (lane * stride);
                    T* s1 = s0 + stride;
                    T* s2 = s1 + stride;
                    T* s3 = s2 + stride;
                    T* d = dst + lane;
                    for (int p = 0; p < kc; p++)
                    {
                        d[0] = s0[p];
                        d[1] = s1[p];
                        d[2] = s2[p];
                        d[3] = s3[p];
                        d += width;
                    }
                }
                for (; lane < lanes; lane++)
                {
                    T* s = src + (lane * stride);
                    T* d = dst + lane;
                    for (int p = 0; p < kc; p++)
                    {
                        d[(nint)p * width] = s[p];
                    }
                }
            }
            if (lanes < width)
            {
                for (int p = 0; p < kc; p++)
                {
                    new Span<T>(dst + ((nint)p * width) + lanes, width - lanes).Clear();
                }
            }
        }
    }
}
