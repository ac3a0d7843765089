using System.Numerics;
using System.Runtime.CompilerServices;

namespace Losses.Kernels;

/// <summary>Σ p log(p/q) · scale per row, of probabilities or (normalised first) counts (<see cref="KLDivergence.Of{T}(ReadOnlySpan{T}, ReadOnlySpan{T})"/>).</summary>
internal readonly unsafe struct RelativeEntropyOp<T> : IPinnedOp<T, RelativeEntropyOp<T>>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public RelativeEntropyOp<T> On(T* first, T* second, T* third, int classCount) => this with { P = first, Q = second, ClassCount = classCount };

    public T* P { get; init; }
    public T* Q { get; init; }
    public int ClassCount { get; init; }
    public T Scale { get; init; }
    public bool Normalize { get; init; }

    public T Row<TOps, TV>(int row)
        where TOps : ISimd<TV, T>
        where TV : struct
    {
        int n = ClassCount;
        ref T p = ref Batch<T>.Row(P, row, n);
        ref T q = ref Batch<T>.Row(Q, row, n);
        var (scaleP, scaleQ) = Normalize ? InverseSums<TOps, TV, T>.Of(in p, in q, n) : ((T.One, T.One), (T.One, T.One));
        T sum = Rows<TOps, TV, T>.SumOf(in p, in q, n, new DistributionTerms<TOps, TV, T>.RelativeEntropy(scaleP, scaleQ));
        return Measure<T>.Scaled(double.CreateTruncating(sum), Scale);
    }
}

/// <summary>Σ p (log p − log q) per row from p (or log p) and log q (<see cref="KLDivergence.FromLogProbabilities{T}(ReadOnlySpan{T}, ReadOnlySpan{T})"/>).</summary>
internal readonly unsafe struct LogRelativeEntropyOp<T> : IPinnedOp<T, LogRelativeEntropyOp<T>>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public LogRelativeEntropyOp<T> On(T* first, T* second, T* third, int classCount) => this with { P = first, LogQ = second, ClassCount = classCount };

    public T* P { get; init; }
    public T* LogQ { get; init; }
    public int ClassCount { get; init; }
    public bool LogTarget { get; init; }

    public T Row<TOps, TV>(int row)
        where TOps : ISimd<TV, T>
        where TV : struct
    {
        int n = ClassCount;
        return Rows<TOps, TV, T>.SumOf(in Batch<T>.Row(P, row, n), in Batch<T>.Row(LogQ, row, n), n, new DistributionTerms<TOps, TV, T>.LogRelativeEntropy(LogTarget));
    }
}

/// <summary>
/// KL(softmax(t/T) ‖ softmax(s/T)) · scale per row and, when asked, the student gradient GradientScale · (q − p)
/// (<see cref="KLDivergence.FromLogits{T}(ReadOnlySpan{T}, ReadOnlySpan{T})"/>, <see cref="KLDivergence.Distillation{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, int, Span{T}, Reduction, double, bool, int)"/>).
/// Row path: a max pass over both rows, one fused pass (two term exps per element,
/// <see cref="DistributionTerms{TOps, TV, T}.RelativeEntropyOfLogits{TStore}"/>, a method per variant) that also stores
/// the student numerators into the gradient, then a pass that recomputes the teacher numerators: three exps per
/// element, no scratch.
/// </summary>
internal readonly unsafe struct DistillationOp<T> : IPinnedOp<T, DistillationOp<T>>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public DistillationOp<T> On(T* first, T* second, T* third, int classCount) => this with { TeacherLogits = first, StudentLogits = second, StudentGradient = third, ClassCount = classCount };

    public T* TeacherLogits { get; init; }
    public T* StudentLogits { get; init; }

    /// <summary>rows × classCount, or null for no gradient.</summary>
    public T* StudentGradient { get; init; }

    public int ClassCount { get; init; }
    public T InverseTemperature { get; init; }

    /// <summary>Multiplies every row's divergence (T² when asked, else 1).</summary>
    public T Scale { get; init; }

    /// <summary>The factor of (q − p) in the gradient: (1/T) · (T² if scaled) · (1/reduction divisor).</summary>
    public T GradientScale { get; init; }

    public T Row<TOps, TV>(int row)
        where TOps : ISimd<TV, T>
        where TV : struct
    {
        int n = ClassCount;
        ref T t = ref Batch<T>.Row(TeacherLogits, row, n);
        ref T s = ref Batch<T>.Row(StudentLogits, row, n);
        // The maxima are subtracted before dividing by T (see DistributionTerms.RelativeEntropyOfLogits): the rounding of max/T would
        // otherwise reach the exponent ([3e10, 0] at T = 3 gives e^512).
        var (teacherMax, studentMax) = MaxOf<TOps, TV, T>.Two(in t, in s, n);
        if (StudentGradient == null)
        {
            var sums = DistributionTerms<TOps, TV, T>.RelativeEntropyOfLogits<Off>(in t, in s, ref Unsafe.NullRef<T>(), n, InverseTemperature, teacherMax, studentMax);
            return Measure<T>.Scaled(DistributionTerms<TOps, TV, T>.RelativeEntropyOfLogitsResult(sums, n).Divergence, Scale);
        }
        ref T g = ref Batch<T>.Row(StudentGradient, row, n);
        var (teacherSum, studentSum, divergence) = DistributionTerms<TOps, TV, T>.RelativeEntropyOfLogitsResult(
            DistributionTerms<TOps, TV, T>.RelativeEntropyOfLogits<On>(in t, in s, ref g, n, InverseTemperature, teacherMax, studentMax), n);
        double scale = double.CreateTruncating(GradientScale);
        var op = new DistributionTerms<TOps, TV, T>.DistillationGradient(InverseTemperature, teacherMax,
            T.CreateTruncating(scale / teacherSum), T.CreateTruncating(scale / studentSum));
        Rows<TOps, TV, T>.Map(in t, in g, ref g, n, op);
        return Measure<T>.Scaled(divergence, Scale);
    }

    public static bool HasBlock => true;

    /// <summary>
    /// B rows at once: <see cref="Body{TOps, TBlock, TV, TGradient}"/> with or without the gradient, two instantiations so that
    /// the divergence alone carries none of the gradient's code (nor its inlinees against the JIT's budget).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TV Block<TOps, TBlock, TV>(int row, Span<TV> scratch)
        where TOps : ISimd<TV, T>
        where TBlock : IBlockOps<TV, T>
        where TV : struct =>
        StudentGradient == null ? Body<TOps, TBlock, TV, WithoutGradient>(row, scratch) : Body<TOps, TBlock, TV, WithGradient>(row, scratch);

    /// <summary>
    /// The divergence of B rows and, with <see cref="WithGradient"/>, the student gradient: two exps per element, no log
    /// (<see cref="Sums"/>); the numerators stay in the tiles for the gradient, which takes one reciprocal per lane and sum;
    /// per lane, one division and one log for the divergence (<see cref="Divergence"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private TV Body<TOps, TBlock, TV, TGradient>(int row, Span<TV> scratch)
        where TOps : ISimd<TV, T>
        where TBlock : IBlockOps<TV, T>
        where TV : struct
        where TGradient : struct
    {
        int c = ClassCount;
        Span<TV> t = Tile<T, TOps, TBlock, TV>.Load(scratch, 0, TeacherLogits, row, c);
        Span<TV> s = Tile<T, TOps, TBlock, TV>.Load(scratch, 1, StudentLogits, row, c);
        var (teacherSum, studentSum, weighted) = Sums<TOps, TBlock, TV>(t, s, c, keep: typeof(TGradient) == typeof(WithGradient));
        if (typeof(TGradient) == typeof(WithGradient))
        {
            TV scale = TOps.Create(GradientScale);
            TV cp = TOps.Subtract(default, TOps.Divide(scale, teacherSum));
            TV cq = TOps.Divide(scale, studentSum);
            for (int k = 0; k < c; k++)
            {
                // cq·e^s′ − cp·e^t′ in the row path's form (DistillationGradient): one rounding fewer.
                s[k] = TOps.MultiplyAdd(t[k], cp, TOps.Multiply(s[k], cq));
            }
            Tile<T, TOps, TBlock, TV>.Store(s, StudentGradient, row, c);
        }
        return Divergence<TOps, TV>(weighted, teacherSum, studentSum, c, Scale);
    }

    /// <summary>The block body with the student gradient.</summary>
    private struct WithGradient;

    /// <summary>The block body of the divergence alone.</summary>
    private struct WithoutGradient;

    /// <summary>
    /// Per lane St = Σ e^t′, Ss = Σ e^s′ and W·2^−h = Σ e^t′·(a − b)·2^−h/T (as <see cref="DistributionTerms{TOps, TV, T}.RelativeEntropyOfLogits{TStore}"/>),
    /// two exps per element; with <paramref name="keep"/> (a constant at each call) the numerators e^t′, e^s′ replace the logits in the tiles.
    /// The student's exps are term exps (<see cref="VectorMath{TOps, TV, T}.ExpTermFlushed"/>, as the row path's; ≤ 2 ulp on
    /// [−10, 0], 0 below −86.5): they only enter Ss, which has the term e⁰ = 1, and q = e^s′/Ss in the gradient. The
    /// teacher's stay exact down to the subnormals (<see cref="VectorMath{TOps, TV, T}.ExpNonPositive"/>; the row path's
    /// <see cref="VectorMath{TOps, TV, T}.ExpTerm"/> is within 2 ulp of it on [−10, 0], and rounds into the subnormals too): W weighs them
    /// by a − b, which may be up to ~1e38, so a flushed term 2⁻¹²⁵ could move the divergence by units. (Measured at
    /// 4096 × 10 with AVX2: the flushed student exps take the divergence from 2.2× Exp to 1.9×, with the gradient from
    /// 2.3× to 2.1×; flushing the teacher's too gained no more than the noise.)
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private readonly (TV TeacherSum, TV StudentSum, TV Weighted) Sums<TOps, TBlock, TV>(Span<TV> t, Span<TV> s, int c, bool keep)
        where TOps : ISimd<TV, T>
        where TBlock : IBlockOps<TV, T>
        where TV : struct
    {
        TV inverseTemperature = TOps.Create(InverseTemperature);
        TV differenceScale = TOps.Create(T.ScaleB(InverseTemperature, -DistributionTerms<TOps, TV, T>.WeightExponent(c)));
        TV teacherMax = Tile<T, TOps, TBlock, TV>.Max(t, c);
        TV studentMax = Tile<T, TOps, TBlock, TV>.Max(s, c);
        TV teacherSum = default;
        TV studentSum = default;
        TV weighted = default;
        for (int k = 0; k < c; k++)
        {
            TV a = TOps.Subtract(t[k], teacherMax);
            TV b = TOps.Subtract(s[k], studentMax);
            TV et = VectorMath<TOps, TV, T>.ExpNonPositive(TOps.Multiply(a, inverseTemperature));
            TV es = VectorMath<TOps, TV, T>.ExpTermFlushed(TOps.Multiply(b, inverseTemperature));
            teacherSum = TOps.Add(teacherSum, et);
            studentSum = TOps.Add(studentSum, es);
            weighted = TOps.Add(weighted, DistributionTerms<TOps, TV, T>.Weighted(et, TOps.Multiply(TOps.Subtract(a, b), differenceScale)));
            if (keep)
            {
                t[k] = et;
                s[k] = es;
            }
        }
        return (teacherSum, studentSum, weighted);
    }

    /// <summary>
    /// (W/St·2^h + log(Ss/St))·scale per lane (h = <see cref="DistributionTerms{TOps, TV, T}.WeightExponent"/> of c), in T:
    /// the sums carry T's precision already, so finishing in double (as the row path does, one lane at a time) would cost
    /// two scalar logs per row and gain at most an ulp. Not inlined: inlined, the log's vector operations used up the
    /// block body's inlining budget and became calls (measured with AVX2 at 4096 × 10: 4.3× Exp then, 2.2× out of line),
    /// and one call per block costs little.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static TV Divergence<TOps, TV>(TV weighted, TV teacherSum, TV studentSum, int c, T scale)
        where TOps : ISimd<TV, T>
        where TV : struct
    {
        T weightScale = T.ScaleB(T.One, DistributionTerms<TOps, TV, T>.WeightExponent(c));
        TV divergence = TOps.Add(TOps.Multiply(TOps.Divide(weighted, teacherSum), TOps.Create(weightScale)), VectorMath<TOps, TV, T>.Log(TOps.Divide(studentSum, teacherSum)));
        return TOps.Multiply(divergence, TOps.Create(scale));
    }
}

/// <summary>The <see cref="Of(ref readonly T, int, T)"/> scales of a pair of rows, both sums in one pass.</summary>
internal static class InverseSums<TOps, TV, T>
    where TOps : ISimd<TV, T>
    where TV : struct
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public static ((T First, T Second) P, (T First, T Second) Q) Of(ref readonly T p, ref readonly T q, int n)
    {
        var sums = new DistributionTerms<TOps, TV, T>.SumPair();
        Rows<TOps, TV, T>.Reduce(in p, in q, n, ref sums);
        return (Of(in p, n, sums.SumA.Total()), Of(in q, n, sums.SumB.Total()));
    }

    /// <summary>
    /// Factors (s₁, s₂) with (x · s₁) · s₂ = x / Σx for a row of finite non-negative values whose sum is
    /// <paramref name="sum"/>: (1, 1/Σ) when Σ and 1/Σ are normal numbers (the usual case, one rounding); otherwise
    /// (counts near MaxValue whose sum overflows, or subnormal counts whose reciprocal sum overflows) the row is first
    /// scaled by the power of two 2^h, h = −ilogb(max x), split as s₁ = 2^⌊h/2⌋ (exact) times 2^(h−⌊h/2⌋), which is folded
    /// with the reciprocal of the scaled sum into s₂. An all-zero row keeps (1, +∞), so its measure is NaN as in SciPy.
    /// </summary>
    public static (T First, T Second) Of(ref readonly T x, int n, T sum)
    {
        T inverse = T.One / sum;
        if (sum == T.Zero || (T.IsNormal(sum) && T.IsNormal(inverse)))
        {
            return (T.One, inverse);
        }
        int h = -T.ILogB(Rows<TOps, TV, T>.Max(in x, n));
        T first = T.ScaleB(T.One, h / 2);
        T second = T.ScaleB(T.One, h - (h / 2));
        T scaledSum = Rows<TOps, TV, T>.SumOf(in x, in x, n, new DistributionTerms<TOps, TV, T>.Scaled(first, second));
        return (first, second / scaledSum);
    }
}
