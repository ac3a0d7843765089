using System.Numerics;
using Losses.Kernels.MatMul;

namespace Losses;

/// <summary>
/// Dense matrix products on row-major spans, C = A·B, C = A·Bᵀ and C = Aᵀ·B (or C += …), for float and double: a
/// blocked, packed multiply with an FMA register-tile kernel (Vector512, Vector256, Vector128 or scalar), built for the
/// fused LM head and usable on its own. For each element,
/// C[i, j] = fma(op(A)[i, k−1], op(B)[k−1, j], … fma(op(A)[i, 0], op(B)[0, j], c₀)) with c₀ = 0, or C[i, j] when
/// accumulating.
/// </summary>
/// <remarks>
/// <para>Determinism: every element of C is that one chain of fused multiply-adds over k in ascending order, whatever the
/// shape of the blocking, the vector width (AVX-512, AVX2, SSE or scalar) or <c>maxDegreeOfParallelism</c>: the result is
/// bitwise the same on every path and thread count. Accumulating k in slices (C += A₁·B₁, then C += A₂·B₂) gives the
/// same bits as one call over the whole k, since each call resumes the chain from C.</para>
/// <para>Accuracy: a fused chain of k terms; the error is bounded by about k·ε·Σ|a·b| (ε = 2⁻²⁴ for float), as for any
/// dot product summed in order. NaN and ±∞ propagate as IEEE arithmetic dictates (0·∞ = NaN).</para>
/// <para>Cost: 2·m·n·k flops, measured at 53–70% of one core's FMA peak for sizes from 256 (thread CPU time) (see benchmarks/README.md).
/// Packing buffers (about 2.2 MB for float, 4.4 MB for double) are allocated once per thread and reused; a single-thread
/// call allocates nothing once warm. With <c>maxDegreeOfParallelism</c> ≠ 1 and at least 2²⁰ multiply-adds, threads take
/// disjoint strips of C; that path allocates the task machinery of <see cref="Parallel"/>.</para>
/// </remarks>
public static class MatrixMultiply
{
    /// <summary>C[m × n] = A[m × k]·B[k × n] (or C += A·B with <paramref name="accumulate"/>), all row-major.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="a">A, m × k, row-major.</param>
    /// <param name="b">B, k × n, row-major.</param>
    /// <param name="c">C, m × n, row-major; must not overlap <paramref name="a"/> or <paramref name="b"/>.</param>
    /// <param name="m">Rows of C and of A.</param>
    /// <param name="n">Columns of C and of B.</param>
    /// <param name="k">The inner dimension: columns of A, rows of B. With k = 0, C is zeroed (or left as is when accumulating).</param>
    /// <param name="accumulate">Add the product to C instead of overwriting it.</param>
    /// <param name="maxDegreeOfParallelism">1 (default) for one thread, n for up to n threads, −1 for all cores; the result is the same.</param>
    /// <exception cref="ArgumentOutOfRangeException">m, n or k is negative, or maxDegreeOfParallelism is 0 or below −1.</exception>
    /// <exception cref="ArgumentException">A span's length is not its shape's size, or <paramref name="c"/> overlaps an input; nothing is written.</exception>
    /// <example>
    /// <code>
    /// float[] a = [1, 2, 3, 4, 5, 6];      // 2 × 3
    /// float[] b = [1, 0, 0, 1, 1, 1];      // 3 × 2
    /// var c = new float[4];                // 2 × 2: [4, 5, 10, 11]
    /// MatrixMultiply.Multiply&lt;float&gt;(a, b, c, m: 2, n: 2, k: 3);
    /// </code>
    /// </example>
    public static void Multiply<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> c, int m, int n, int k, bool accumulate = false, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Run(a, b, c, m, n, k, (k, 1), (n, 1), accumulate, maxDegreeOfParallelism);

    /// <summary>C[m × n] = A[m × k]·B[n × k]ᵀ (or C += A·Bᵀ), all row-major: the product of <c>nn.Linear</c>, x·Wᵀ.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="a">A, m × k, row-major.</param>
    /// <param name="b">B, n × k, row-major (so Bᵀ is k × n).</param>
    /// <param name="c">C, m × n, row-major; must not overlap <paramref name="a"/> or <paramref name="b"/>.</param>
    /// <param name="m">Rows of C and of A.</param>
    /// <param name="n">Columns of C, rows of B.</param>
    /// <param name="k">The inner dimension: columns of A and of B.</param>
    /// <param name="accumulate">Add the product to C instead of overwriting it.</param>
    /// <param name="maxDegreeOfParallelism">1 (default) for one thread, n for up to n threads, −1 for all cores; the result is the same.</param>
    /// <exception cref="ArgumentOutOfRangeException">m, n or k is negative, or maxDegreeOfParallelism is 0 or below −1.</exception>
    /// <exception cref="ArgumentException">A span's length is not its shape's size, or <paramref name="c"/> overlaps an input; nothing is written.</exception>
    /// <example>
    /// <code>
    /// float[] x = [1, 2, 3];               // 1 × 3
    /// float[] w = [1, 0, 0, 0, 1, 1];      // 2 × 3 (nn.Linear weight)
    /// var y = new float[2];                // [1, 5]
    /// MatrixMultiply.MultiplyTransposedB&lt;float&gt;(x, w, y, m: 1, n: 2, k: 3);
    /// </code>
    /// </example>
    public static void MultiplyTransposedB<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> c, int m, int n, int k, bool accumulate = false, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Run(a, b, c, m, n, k, (k, 1), (1, k), accumulate, maxDegreeOfParallelism);

    /// <summary>C[m × n] = A[k × m]ᵀ·B[k × n] (or C += Aᵀ·B), all row-major: e.g. a weight gradient, Gᵀ·X.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="a">A, k × m, row-major (so Aᵀ is m × k).</param>
    /// <param name="b">B, k × n, row-major.</param>
    /// <param name="c">C, m × n, row-major; must not overlap <paramref name="a"/> or <paramref name="b"/>.</param>
    /// <param name="m">Rows of C, columns of A.</param>
    /// <param name="n">Columns of C and of B.</param>
    /// <param name="k">The inner dimension: rows of A and of B.</param>
    /// <param name="accumulate">Add the product to C instead of overwriting it.</param>
    /// <param name="maxDegreeOfParallelism">1 (default) for one thread, n for up to n threads, −1 for all cores; the result is the same.</param>
    /// <exception cref="ArgumentOutOfRangeException">m, n or k is negative, or maxDegreeOfParallelism is 0 or below −1.</exception>
    /// <exception cref="ArgumentException">A span's length is not its shape's size, or <paramref name="c"/> overlaps an input; nothing is written.</exception>
    /// <example>
    /// <code>
    /// float[] g = [1, 2];                  // 1 × 2 (upstream gradient of one sample)
    /// float[] x = [3, 4, 5];               // 1 × 3 (its input)
    /// var dw = new float[6];               // 2 × 3: [3, 4, 5, 6, 8, 10]
    /// MatrixMultiply.MultiplyTransposedA&lt;float&gt;(g, x, dw, m: 2, n: 3, k: 1);
    /// </code>
    /// </example>
    public static void MultiplyTransposedA<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> c, int m, int n, int k, bool accumulate = false, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Run(a, b, c, m, n, k, (1, m), (n, 1), accumulate, maxDegreeOfParallelism);

    /// <summary>
    /// Checks the arguments, then c = op(a) · op(b) (+ c): <paramref name="aSteps"/> and <paramref name="bSteps"/> are the
    /// element steps from one row, and from one column, of op(a) and op(b) to the next in memory (a transposed operand swaps them).
    /// </summary>
    private static unsafe void Run<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> c, int m, int n, int k, (int Row, int Column) aSteps,
        (int Row, int Column) bSteps, bool accumulate, int maxDegreeOfParallelism)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Check(a, b, c, m, n, k, maxDegreeOfParallelism);
        fixed (T* pa = a)
        fixed (T* pb = b)
        fixed (T* pc = c)
        {
            Gemm<T>.Multiply(new MatrixView<T>(pa, aSteps.Row, aSteps.Column), new MatrixView<T>(pb, bSteps.Row, bSteps.Column), pc, n, m, n, k,
                accumulate, maxDegreeOfParallelism);
        }
    }

    private static void Check<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, ReadOnlySpan<T> c, int m, int n, int k, int maxDegreeOfParallelism)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Guard.FloatOrDouble<T>();
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        Kernels.RowDriver.CheckParallelism(maxDegreeOfParallelism);
        Size(a.Length, m, k, nameof(a), "m × k");
        Size(b.Length, k, n, nameof(b), "k × n");
        Size(c.Length, m, n, nameof(c), "m × n");
        NoOverlap(a, c, nameof(a));
        NoOverlap(b, c, nameof(b));
    }

    /// <summary>Checks that a span holds exactly a rows × columns matrix.</summary>
    internal static void Size(int length, int rows, int columns, string name, string shape)
    {
        if (length != (long)rows * columns)
        {
            throw new ArgumentException($"{name} has {length} elements; its shape {shape} = {rows} × {columns} needs {(long)rows * columns}.", name);
        }
    }

    internal static void NoOverlap<T>(ReadOnlySpan<T> input, ReadOnlySpan<T> output, string inputName, string outputName = "c")
    {
        if (input.Overlaps(output))
        {
            throw new ArgumentException($"{outputName} overlaps {inputName}; the product cannot be written over its inputs.", outputName);
        }
    }
}
