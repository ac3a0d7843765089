using System.Numerics;
using System.Runtime.CompilerServices;

namespace Losses.Kernels;

/// <summary>
/// Cross-entropy of a row of logits against an integer target, with class weights, ignore index and label smoothing
/// (<see cref="CrossEntropy.Forward{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, int, Span{T}, Reduction, Span{T}, ReadOnlySpan{T}, int, double, double, double, int)"/>); the row value is the row's loss, the gradient is written when asked.
/// </summary>
internal readonly unsafe struct CrossEntropyOp<T> : IRowOp<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public T* Logits { get; init; }
    public int* Targets { get; init; }

    /// <summary>classCount class weights, or null.</summary>
    public T* Weight { get; init; }

    /// <summary>rows × classCount, or null for no gradient.</summary>
    public T* Gradient { get; init; }

    public int ClassCount { get; init; }
    public int IgnoreIndex { get; init; }
    public T LabelSmoothing { get; init; }

    /// <summary>Σ weight (classCount without weights).</summary>
    public T WeightSum { get; init; }

    /// <summary>The reduction's factor of the gradient (1/divisor for Mean).</summary>
    public T GradientScale { get; init; }

    /// <summary>
    /// λ of the z-loss λ·(log Z)² times its share of the reduction (D/N for Mean, so that the total / D is
    /// Σ ℓ / D + λ·Σ (log Z)² / N; 1 otherwise); 0 for none. Its gradient adds 2·ZCoefficient·log Z·GradientScale·softmax.
    /// </summary>
    public T ZCoefficient { get; init; }

    public T Row<TOps, TV>(int row)
        where TOps : ISimd<TV, T>
        where TV : struct
    {
        int c = ClassCount;
        int t = Targets[row];
        if (t == IgnoreIndex)
        {
            if (Gradient != null)
            {
                new Span<T>(Gradient + ((nint)row * c), c).Clear();
            }
            return T.Zero;
        }
        ref T x = ref Batch<T>.Row(Logits, row, c);
        T atTarget = Unsafe.Add(ref x, t);
        T wt = Weight != null ? Weight[t] : T.One;

        // Without smoothing, Softmax's passes: max; exp(x − max) stored into the gradient and summed; one scale. One exp
        // per element, in place too. A row without a finite maximum takes the general path, which gives its NaN or ∞.
        if (Gradient != null && LabelSmoothing == T.Zero)
        {
            T max = Rows<TOps, TV, T>.ShiftMax(in x, c);
            if (T.IsFinite(max))
            {
                ref T g = ref Batch<T>.Row(Gradient, row, c);
                T sum = Rows<TOps, TV, T>.MapSum(in x, ref g, c, new ElementOps<TOps, TV, T>.ExpShift(max), prefetchNextRow: true);
                T a = wt * GradientScale;
                T logSum = T.Log(sum);
                T logZ = max + logSum;
                T z = ZCoefficient != T.Zero ? T.CreateTruncating(2) * ZCoefficient * logZ * GradientScale : T.Zero;
                Rows<TOps, TV, T>.Map(in g, ref g, c, new ElementOps<TOps, TV, T>.Scale((a + z) / sum));
                Unsafe.Add(ref g, t) -= a;
                T loss = wt * ((max - atTarget) + logSum);
                return ZCoefficient != T.Zero ? loss + (ZCoefficient * logZ * logZ) : loss;
            }
        }
        return GeneralRow<TOps, TV>(ref x, row, t, atTarget, wt);
    }

    /// <summary>The online normalizer for the loss, then (with a gradient) one more pass; label smoothing adds a pass.</summary>
    private T GeneralRow<TOps, TV>(ref T x, int row, int t, T atTarget, T wt)
        where TOps : ISimd<TV, T>
        where TV : struct
    {
        int c = ClassCount;
        bool weighted = Weight != null;
        bool smoothing = LabelSmoothing != T.Zero;
        T keep = T.One - LabelSmoothing;
        T uniform = LabelSmoothing / T.CreateTruncating(c);
        ref readonly T w = ref Unsafe.AsRef<T>(Weight);
        var norm = Rows<TOps, TV, T>.Normalizer(in x, c);
        T max = norm.Max;
        T logSum = T.Log(norm.SumOfExp);
        T loss = wt * ((max - atTarget) + logSum);
        if (smoothing)
        {
            T spread = CrossEntropyRows<TOps, TV, T>.ShiftedDot(in x, in w, weighted, max, c) + (WeightSum * logSum);
            loss = (keep * loss) + (uniform * spread);
        }
        T logZ = max + logSum;
        if (ZCoefficient != T.Zero)
        {
            loss += ZCoefficient * logZ * logZ;
        }
        if (Gradient != null)
        {
            T a = keep * wt * GradientScale;
            T b = uniform * GradientScale;
            T z = ZCoefficient != T.Zero ? T.CreateTruncating(2) * ZCoefficient * logZ * GradientScale : T.Zero;
            ref T g = ref Batch<T>.Row(Gradient, row, c);

            // Without smoothing b = 0: its weighted term is skipped, so that an infinite weight gives 0, not 0·∞.
            CrossEntropyRows<TOps, TV, T>.SoftmaxAffine(in x, in w, weighted && smoothing, ref g, c, max, logSum, a + (b * WeightSum) + z, b);
            Unsafe.Add(ref g, t) -= a;
        }
        return loss;
    }

    public static bool HasBlock => true;

    /// <summary>
    /// B rows at once: max, exp, log and loss per lane. Without weights, smoothing or gradient (the plain forward), the
    /// exp-sum loop does nothing else and the target logit is picked in a loop of its own (compare and select per class);
    /// otherwise <see cref="GeneralBlock"/>. The same lanes, bitwise, either way.
    /// </summary>
    public TV Block<TOps, TBlock, TV>(int row, Span<TV> scratch)
        where TOps : ISimd<TV, T>
        where TBlock : IBlockOps<TV, T>
        where TV : struct
    {
        if (Weight != null || LabelSmoothing != T.Zero || Gradient != null)
        {
            return GeneralBlock<TOps, TBlock, TV>(row, scratch);
        }
        int c = ClassCount;
        Span<TV> x = Tile<T, TOps, TBlock, TV>.Load(scratch, 0, Logits, row, c);
        TV max = Tile<T, TOps, TBlock, TV>.Max(x, c);
        TV sum = Tile<T, TOps, TBlock, TV>.SumOfExpTerms(x, max, c);
        TV targets = TBlock.LoadTargets(Targets + row);
        TV atTarget = Tile<T, TOps, TBlock, TV>.AtTarget(x, targets, c);
        TV logSum = VectorMath<TOps, TV, T>.Log(sum);
        TV loss = TOps.Add(TOps.Subtract(max, atTarget), logSum);
        if (ZCoefficient != T.Zero)
        {
            TV logZ = TOps.Add(max, logSum);
            loss = TOps.MultiplyAdd(TOps.Multiply(TOps.Create(ZCoefficient), logZ), logZ, loss);
        }
        return TOps.Select(TOps.Equal(targets, TOps.Create(T.CreateTruncating(IgnoreIndex))), default, loss);
    }

    /// <summary>
    /// B rows with weights, smoothing or a gradient: max, exp (kept in the gradient tile), log and loss per lane; the
    /// gradient e·(s/Σe) − offset·w − a·onehot in the tile, stored back row-major. One exp per element.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private TV GeneralBlock<TOps, TBlock, TV>(int row, Span<TV> scratch)
        where TOps : ISimd<TV, T>
        where TBlock : IBlockOps<TV, T>
        where TV : struct
    {
        int c = ClassCount;
        bool weighted = Weight != null;
        bool smoothing = LabelSmoothing != T.Zero;
        bool gradient = Gradient != null;
        Span<TV> x = Tile<T, TOps, TBlock, TV>.Load(scratch, 0, Logits, row, c);
        Span<TV> e = Tile<T, TOps, TBlock, TV>.Of(scratch, 1);
        TV targets = TBlock.LoadTargets(Targets + row);
        TV max = Tile<T, TOps, TBlock, TV>.Max(x, c);
        TV sum = default;
        TV shifted = default;
        TV atTarget = default;
        TV targetWeight = TOps.Create(T.One);
        TV one = TOps.Create(T.One);
        TV classIndex = default;
        for (int k = 0; k < c; k++)
        {
            TV column = x[k];
            TV exp;
            if (gradient)
            {
                exp = VectorMath<TOps, TV, T>.ExpNonPositive(TOps.Subtract(column, max));
                e[k] = exp;
            }
            else
            {
                // Only summed (the row path's normalizer): the cheaper term exp, the same bits as the row path.
                exp = VectorMath<TOps, TV, T>.ExpTermFlushed(TOps.Subtract(column, max));
            }
            sum = TOps.Add(sum, exp);

            // classIndex = k in every lane, counted up (exact: k ≤ 128).
            TV isTarget = TOps.Equal(targets, classIndex);
            classIndex = TOps.Add(classIndex, one);
            atTarget = TOps.Select(isTarget, column, atTarget);
            if (weighted)
            {
                TV wk = TOps.Create(Weight[k]);
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
        TV keep = TOps.Create(T.One - LabelSmoothing);
        T uniformScalar = LabelSmoothing / T.CreateTruncating(c);
        TV uniform = TOps.Create(uniformScalar);
        TV weightSum = TOps.Create(WeightSum);
        TV logSum = VectorMath<TOps, TV, T>.Log(sum);
        TV ignored = TOps.Equal(targets, TOps.Create(T.CreateTruncating(IgnoreIndex)));
        TV loss = TOps.Multiply(targetWeight, TOps.Add(TOps.Subtract(max, atTarget), logSum));
        if (smoothing)
        {
            loss = TOps.Add(TOps.Multiply(keep, loss), TOps.Multiply(uniform, TOps.Add(shifted, TOps.Multiply(weightSum, logSum))));
        }
        bool zLoss = ZCoefficient != T.Zero;
        TV logZ = TOps.Add(max, logSum);
        if (zLoss)
        {
            loss = TOps.MultiplyAdd(TOps.Multiply(TOps.Create(ZCoefficient), logZ), logZ, loss);
        }
        loss = TOps.Select(ignored, default, loss);
        if (gradient)
        {
            TV scale = TOps.Create(GradientScale);
            TV offset = TOps.Create(uniformScalar * GradientScale);
            TV a = TOps.Select(ignored, default, TOps.Multiply(TOps.Multiply(keep, targetWeight), scale));
            TV s = smoothing ? TOps.MultiplyAdd(offset, weightSum, a) : a;
            if (zLoss)
            {
                s = TOps.MultiplyAdd(TOps.Create(T.CreateTruncating(2) * ZCoefficient * GradientScale), logZ, s);
            }
            TV r = TOps.Divide(s, sum);
            for (int k = 0; k < c; k++)
            {
                TV g = TOps.Multiply(e[k], r);
                if (smoothing)
                {
                    g = TOps.Subtract(g, weighted ? TOps.Multiply(offset, TOps.Create(Weight[k])) : offset);
                }
                g = TOps.Subtract(g, TOps.Select(TOps.Equal(targets, TOps.Create(T.CreateTruncating(k))), a, default));
                e[k] = TOps.Select(ignored, default, g);
            }
            Tile<T, TOps, TBlock, TV>.Store(e, Gradient, row, c);
        }
        return loss;
    }
}

/// <summary>
/// Cross-entropy of a row of logits against a row of target probabilities, with class weights and label smoothing
/// (<see cref="CrossEntropy.ForwardWithProbabilities{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, int, Span{T}, Reduction, Span{T}, ReadOnlySpan{T}, double, int)"/>).
/// </summary>
internal readonly unsafe struct SoftCrossEntropyOp<T> : IRowOp<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public T* Logits { get; init; }
    public T* Probabilities { get; init; }
    public T* Weight { get; init; }
    public T* Gradient { get; init; }
    public int ClassCount { get; init; }
    public T LabelSmoothing { get; init; }
    public T GradientScale { get; init; }

    public T Row<TOps, TV>(int row)
        where TOps : ISimd<TV, T>
        where TV : struct
    {
        int c = ClassCount;
        bool weighted = Weight != null;
        T keep = T.One - LabelSmoothing;
        T uniform = LabelSmoothing / T.CreateTruncating(c);
        ref readonly T w = ref Unsafe.AsRef<T>(Weight);
        ref T x = ref Batch<T>.Row(Logits, row, c);
        ref T y = ref Batch<T>.Row(Probabilities, row, c);
        var norm = Rows<TOps, TV, T>.Normalizer(in x, c);
        T max = norm.Max;
        T logSum = T.Log(norm.SumOfExp);
        var (mass, shifted) = CrossEntropyRows<TOps, TV, T>.SoftTargetSums(in x, in y, in w, weighted, keep, uniform, max, c);
        if (Gradient != null)
        {
            CrossEntropyRows<TOps, TV, T>.SoftTargetGradient(in x, in y, in w, weighted, ref Batch<T>.Row(Gradient, row, c), c, keep, uniform, max, logSum, mass, GradientScale);
        }
        return shifted + (mass * logSum);
    }

    public static bool HasBlock => true;

    /// <summary>B rows at once: one exp per element (kept in the logits tile for the gradient).</summary>
    public TV Block<TOps, TBlock, TV>(int row, Span<TV> scratch)
        where TOps : ISimd<TV, T>
        where TBlock : IBlockOps<TV, T>
        where TV : struct
    {
        int c = ClassCount;
        bool weighted = Weight != null;
        Span<TV> x = Tile<T, TOps, TBlock, TV>.Load(scratch, 0, Logits, row, c);
        Span<TV> y = Tile<T, TOps, TBlock, TV>.Load(scratch, 1, Probabilities, row, c);
        TV keep = TOps.Create(T.One - LabelSmoothing);
        TV uniform = TOps.Create(LabelSmoothing / T.CreateTruncating(c));
        TV max = Tile<T, TOps, TBlock, TV>.Max(x, c);
        TV sum = default;
        TV mass = default;
        TV shifted = default;
        for (int k = 0; k < c; k++)
        {
            TV yw = TOps.MultiplyAdd(y[k], keep, uniform);
            yw = weighted ? TOps.Multiply(yw, TOps.Create(Weight[k])) : yw;
            mass = TOps.Add(mass, yw);
            shifted = TOps.MultiplyAdd(yw, TOps.Subtract(max, x[k]), shifted);
            TV exp = VectorMath<TOps, TV, T>.Exp(TOps.Subtract(x[k], max));
            sum = TOps.Add(sum, exp);
            x[k] = exp;
            y[k] = yw;
        }
        TV loss = TOps.MultiplyAdd(mass, VectorMath<TOps, TV, T>.Log(sum), shifted);
        if (Gradient != null)
        {
            TV scale = TOps.Create(GradientScale);
            TV r = TOps.Divide(mass, sum);
            for (int k = 0; k < c; k++)
            {
                x[k] = TOps.Multiply(TOps.Subtract(TOps.Multiply(x[k], r), y[k]), scale);
            }
            Tile<T, TOps, TBlock, TV>.Store(x, Gradient, row, c);
        }
        return loss;
    }
}

/// <summary>The cross-entropy row loops that need more than one input row at a time.</summary>
internal static class CrossEntropyRows<TOps, TV, T>
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
            TV keep = Rows<TOps, TV, T>.TailMask(i, start);
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
            TV mask = Rows<TOps, TV, T>.TailMask(i, start);
            TV yw = TOps.MultiplyAdd(TOps.Load(in y, start), k, u);
            yw = weighted ? TOps.Multiply(yw, TOps.Load(in weight, start)) : yw;
            mass.Add(TOps.Select(mask, yw, default));
            shifted.Add(TOps.Select(mask, TOps.Multiply(yw, TOps.Subtract(s, TOps.Load(in x, start))), default));
        }
        return (mass.Total(), shifted.Total());
    }

    /// <summary>
    /// The soft-target cross-entropy gradient of a row: g = (exp((x − shift) − logSum)·mass − w·y')·scale. In place safe
    /// with respect to x and y.
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
        TV lastY = TOps.Load(in y, last);
        for (nuint i = 0; ; i += count)
        {
            bool tail = i >= last;
            nuint at = tail ? last : i;
            TV xv = tail ? lastX : TOps.Load(in x, at);
            TV yw = TOps.MultiplyAdd(tail ? lastY : TOps.Load(in y, at), k, u);
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

