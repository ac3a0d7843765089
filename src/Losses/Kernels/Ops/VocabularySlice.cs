using System.Numerics;
using System.Runtime.CompilerServices;

namespace Losses.Kernels;

/// <summary>Class weights as a row op sees them: none (every weight 1) or the slice's weights.</summary>
internal interface IColumnWeights<TV>
    where TV : struct
{
    /// <summary>term · w[i..i + Count).</summary>
    TV Times(TV term, nuint index);
}

internal readonly struct NoWeights<TV> : IColumnWeights<TV>
    where TV : struct
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TV Times(TV term, nuint index) => term;
}

internal readonly unsafe struct ColumnWeights<TOps, TV, T>(T* weights) : IColumnWeights<TV>
    where TOps : ISimd<TV, T>
    where TV : struct
    where T : unmanaged, IFloatingPointIeee754<T>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TV Times(TV term, nuint index) => TOps.Multiply(term, TOps.Load(in *weights, index));
}

/// <summary>Switches a term of a row op on or off at compile time.</summary>
internal interface ISwitch
{
    static abstract bool IsOn { get; }
}

internal readonly struct On : ISwitch
{
    public static bool IsOn => true;
}

internal readonly struct Off : ISwitch
{
    public static bool IsOn => false;
}

/// <summary>One row's statistics over a slice of its columns (relative to <see cref="Shift"/>).</summary>
internal struct SliceStatistics<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>The largest capped logit, floored at the most negative finite value (NaN if any logit is NaN).</summary>
    public T Shift;

    /// <summary>Σ exp(x̃ − Shift).</summary>
    public T SumOfExp;

    /// <summary>Σ exp(x̃ − Shift)·(x̃ − Shift): the entropy's moment.</summary>
    public T Moment;

    /// <summary>Σ w·(Shift − x̃): the label-smoothing term, as a sum of non-negative terms.</summary>
    public T Shifted;
}

/// <summary>
/// The row math of cross-entropy and token log-probabilities over a slice of a vocabulary: the statistics of a slice
/// (a max pass, then one pass with one exp per element), and the gradient of a slice given the whole row's normaliser
/// (one pass, one exp per element). Logits are read as <typeparamref name="T"/>, Half or bfloat16 and may be soft-capped
/// in the loads; rows are at least one vector long (<see cref="Dispatch"/>).
/// </summary>
internal static class VocabularySliceRow<TOps, TV, T>
    where TOps : ISimd<TV, T>
    where TV : struct
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>The statistics of x[0..n) after the cap.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static SliceStatistics<T> Statistics<TIn, TCap, TWeights>(ref readonly TIn x, int n, TCap cap, TWeights weights)
        where TIn : unmanaged
        where TCap : struct, ISoftCap<TV>
        where TWeights : struct, IColumnWeights<TV>
    {
        nuint count = (nuint)TOps.Count;
        nuint length = (nuint)n;

        // Max and NaN are idempotent: the last vector may overlap the previous ones unmasked. The cap is increasing, so
        // the capped maximum is the cap of the maximum.
        TV max = TOps.Create(T.NegativeInfinity);
        TV nan = default;
        nuint i = 0;
        for (; i + count <= length; i += count)
        {
            TV v = Elements<TOps, TV, T>.Load(in x, i);
            max = TOps.MaxFast(max, v);
            nan = TOps.Or(nan, VectorMath<TOps, TV, T>.IsNaN(v));
        }
        TV last = Elements<TOps, TV, T>.Load(in x, length - count);
        max = TOps.MaxFast(max, last);
        nan = TOps.Or(nan, VectorMath<TOps, TV, T>.IsNaN(last));
        T shift = T.Max(TOps.MaxAcross(cap.Apply(max)), FloatLimits<T>.MinValue);
        if (T.IsNaN(TOps.Sum(nan)))
        {
            shift = T.NaN;
        }

        TV shiftV = TOps.Create(shift);
        TV floor = TOps.Create(FloatLimits<T>.MinValue);
        var sum = new LaneSum<TOps, TV, T>();
        var moment = new LaneSum<TOps, TV, T>();
        var shifted = new LaneSum<TOps, TV, T>();
        for (i = 0; i + count <= length; i += count)
        {
            TV d = TOps.Subtract(cap.Apply(Elements<TOps, TV, T>.Load(in x, i)), shiftV);
            TV e = VectorMath<TOps, TV, T>.Exp(d);
            sum.Add(e);
            // Floored so that a masked entry gives 0·(−MaxValue) = 0, not 0·(−∞).
            moment.Add(TOps.Multiply(e, TOps.MaxFast(d, floor)));
            shifted.Add(weights.Times(TOps.Subtract(default, d), i));
        }
        if (i < length)
        {
            nuint start = length - count;
            TV keep = TOps.GreaterThanOrEqual(TOps.Indices, TOps.Create(T.CreateTruncating(i - start)));
            TV d = TOps.Subtract(cap.Apply(last), shiftV);
            TV e = VectorMath<TOps, TV, T>.Exp(d);
            sum.Add(TOps.Select(keep, e, default));
            moment.Add(TOps.Select(keep, TOps.Multiply(e, TOps.MaxFast(d, floor)), default));
            shifted.Add(TOps.Select(keep, weights.Times(TOps.Subtract(default, d), start), default));
        }
        return new SliceStatistics<T> { Shift = shift, SumOfExp = sum.Total(), Moment = moment.Total(), Shifted = shifted.Total() };
    }

    /// <summary>
    /// g[j] = cap′(x_j)·(exp(x̃_j − shift)·(scale + entropyScale·log p_j) − offset·w_j), log p_j = x̃_j − shift − logSum
    /// (floored at the most negative finite value). The last vector is loaded first, so g may be x itself.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Gradient<TIn, TOut, TCap, TWeights, TEntropy>(ref readonly TIn x, ref TOut g, int n, TCap cap, TWeights weights,
        T shift, T logSum, T scale, T entropyScale, T offset)
        where TIn : unmanaged
        where TOut : unmanaged
        where TCap : struct, ISoftCap<TV>
        where TWeights : struct, IColumnWeights<TV>
        where TEntropy : struct, ISwitch
    {
        nuint count = (nuint)TOps.Count;
        nuint last = (nuint)n - count;
        TV lastValue = Elements<TOps, TV, T>.Load(in x, last);
        var term = new GradientTerm<TCap, TWeights, TEntropy>(cap, weights, shift, logSum, scale, entropyScale, offset);
        for (nuint i = 0; i < last; i += count)
        {
            Elements<TOps, TV, T>.Store(term.At(Elements<TOps, TV, T>.Load(in x, i), i), ref g, i);
        }
        Elements<TOps, TV, T>.Store(term.At(lastValue, last), ref g, last);
    }

    private readonly struct GradientTerm<TCap, TWeights, TEntropy>(TCap cap, TWeights weights, T shift, T logSum, T scale, T entropyScale, T offset)
        where TCap : struct, ISoftCap<TV>
        where TWeights : struct, IColumnWeights<TV>
        where TEntropy : struct, ISwitch
    {
        private readonly TCap _cap = cap;
        private readonly TWeights _weights = weights;
        private readonly TV _shift = TOps.Create(shift);
        private readonly TV _logSum = TOps.Create(logSum);
        private readonly TV _scale = TOps.Create(scale);
        private readonly TV _entropyScale = TOps.Create(entropyScale);
        private readonly TV _offset = TOps.Create(offset);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public TV At(TV raw, nuint index)
        {
            TV derivative;
            TV d = TOps.Subtract(_cap.Apply(raw, out derivative), _shift);
            TV e = VectorMath<TOps, TV, T>.Exp(d);
            TV softmaxTerm = TOps.Multiply(e, _scale);
            if (TEntropy.IsOn)
            {
                // e·log p first: a masked entry gives 0·(−MaxValue) = 0, which no scale can turn into ∞·0.
                TV logP = TOps.MaxFast(TOps.Subtract(d, _logSum), TOps.Create(FloatLimits<T>.MinValue));
                softmaxTerm = TOps.MultiplyAdd(_entropyScale, TOps.Multiply(e, logP), softmaxTerm);
            }
            TV value = TOps.Subtract(softmaxTerm, _weights.Times(_offset, index));
            return TCap.IsActive ? TOps.Multiply(value, derivative) : value;
        }
    }
}

/// <summary>What a <see cref="VocabularySliceOp{T, TIn, TOut}"/> computes for each row of its slice.</summary>
internal enum SliceMode
{
    /// <summary>The row's <see cref="VocabularyPartial"/> over the slice.</summary>
    Statistics,

    /// <summary>Cross-entropy (+ z-loss): the row value is the loss; the gradient is written when one is given.</summary>
    CrossEntropy,

    /// <summary>Token log-probability (the row value) and entropy; the gradient for upstream gradients when one is given.</summary>
    Token,
}

/// <summary>
/// The vocabulary-slice row op (<see cref="CrossEntropySlices"/>, <see cref="TokenLogProbabilities"/>, and
/// <see cref="CrossEntropy.Forward{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, int, Span{T}, Reduction, Span{T}, ReadOnlySpan{T}, int, double, double, double, int)"/> with a soft-cap or 16-bit logits): for row i of a slice [Offset, Offset + Width)
/// (rows <see cref="Stride"/> elements apart), gets the row's partial — computed from the slice, or read from
/// <see cref="Partials"/> combined over the whole vocabulary — then does what <see cref="Mode"/> asks.
/// </summary>
internal readonly unsafe struct VocabularySliceOp<T, TIn, TOut> : IRowOp<T>
    where T : unmanaged, IFloatingPointIeee754<T>
    where TIn : unmanaged
    where TOut : unmanaged
{
    public SliceMode Mode { get; init; }
    public TIn* Logits { get; init; }
    public nint Stride { get; init; }
    public int Width { get; init; }
    public int Offset { get; init; }

    /// <summary>Targets (one of the two; both null when the partials are given).</summary>
    public int* Targets32 { get; init; }
    public long* Targets64 { get; init; }
    public long IgnoreIndex { get; init; }

    /// <summary>Class weights of the whole vocabulary, or null.</summary>
    public T* Weight { get; init; }
    public double SliceWeightSum { get; init; }

    /// <summary>c of the soft-cap; +∞ for none.</summary>
    public T SoftCap { get; init; }

    /// <summary>Written (Statistics) or read (the other modes, when not null: the rows' partials are then not recomputed).</summary>
    public VocabularyPartial* Partials { get; init; }

    /// <summary>The slice's gradient (rows <see cref="Stride"/> apart), or null.</summary>
    public TOut* Gradient { get; init; }

    /// <summary>Cross-entropy: 1 − ε.</summary>
    public double Keep { get; init; }

    /// <summary>Cross-entropy: ε/C.</summary>
    public double Uniform { get; init; }

    /// <summary>Cross-entropy: λ times the z-loss's share of the reduction (see <see cref="SliceLoss.Row"/>).</summary>
    public double ZCoefficient { get; init; }

    /// <summary>Cross-entropy: the reduction's factor of the gradient (1/D for Mean).</summary>
    public double GradientScale { get; init; }

    /// <summary>Token: entropies out, or null.</summary>
    public T* Entropy { get; init; }

    /// <summary>Token: upstream gradients of the log-probabilities and entropies, or null (zero).</summary>
    public T* LogProbabilityGradient { get; init; }
    public T* EntropyGradient { get; init; }

    public T Row<TOps, TV>(int row)
        where TOps : ISimd<TV, T>
        where TV : struct =>
        T.IsFinite(SoftCap)
            ? WithCap<TOps, TV, TanhCap<TOps, TV, T>>(row, new TanhCap<TOps, TV, T>(SoftCap))
            : WithCap<TOps, TV, NoCap<TV>>(row, default);

    private T WithCap<TOps, TV, TCap>(int row, TCap cap)
        where TOps : ISimd<TV, T>
        where TV : struct
        where TCap : struct, ISoftCap<TV> =>
        Weight != null
            ? RowOf<TOps, TV, TCap, ColumnWeights<TOps, TV, T>>(row, cap, new ColumnWeights<TOps, TV, T>(Weight + Offset))
            : RowOf<TOps, TV, TCap, NoWeights<TV>>(row, cap, default);

    private T RowOf<TOps, TV, TCap, TWeights>(int row, TCap cap, TWeights weights)
        where TOps : ISimd<TV, T>
        where TV : struct
        where TCap : struct, ISoftCap<TV>
        where TWeights : struct, IColumnWeights<TV>
    {
        ref TIn x = ref Unsafe.AsRef<TIn>(Logits + (row * Stride));
        VocabularyPartial partial = Mode != SliceMode.Statistics && Partials != null ? Partials[row] : Partial<TOps, TV, TCap, TWeights>(in x, row, cap, weights);
        switch (Mode)
        {
            case SliceMode.Statistics:
                Partials[row] = partial;
                return T.Zero;
            case SliceMode.CrossEntropy:
                return CrossEntropyRow<TOps, TV, TCap, TWeights>(in x, row, in partial, cap, weights);
            default:
                return TokenRow<TOps, TV, TCap>(in x, row, in partial, cap);
        }
    }

    private VocabularyPartial Partial<TOps, TV, TCap, TWeights>(ref readonly TIn x, int row, TCap cap, TWeights weights)
        where TOps : ISimd<TV, T>
        where TV : struct
        where TCap : struct, ISoftCap<TV>
        where TWeights : struct, IColumnWeights<TV>
    {
        long target = Targets32 != null ? Targets32[row] : Targets64[row];
        if (target == IgnoreIndex)
        {
            return new VocabularyPartial(0, 0, 0, 0, 0, 0, 0, target, Width, false, true);
        }
        var stats = VocabularySliceRow<TOps, TV, T>.Statistics(in x, Width, cap, weights);
        long local = target - Offset;
        bool found = (ulong)local < (ulong)Width;
        double targetLogit = found ? double.CreateTruncating(CapOne(Elements<Scalar<T>, T, T>.LoadOne(in x, (nuint)local))) : 0;
        double targetWeight = !found ? 0 : Weight != null ? double.CreateTruncating(Weight[target]) : 1;
        return new VocabularyPartial(double.CreateTruncating(stats.Shift), double.CreateTruncating(stats.SumOfExp), double.CreateTruncating(stats.Moment),
            double.CreateTruncating(stats.Shifted), SliceWeightSum, targetLogit, targetWeight, target, Width, found, false);
    }

    /// <summary>The capped value of one logit (the vector formula on one lane, so that it equals the row pass's).</summary>
    private T CapOne(T x) => T.IsFinite(SoftCap) ? new TanhCap<Scalar<T>, T, T>(SoftCap).Apply(x) : x;

    private T CrossEntropyRow<TOps, TV, TCap, TWeights>(ref readonly TIn x, int row, in VocabularyPartial p, TCap cap, TWeights weights)
        where TOps : ISimd<TV, T>
        where TV : struct
        where TCap : struct, ISoftCap<TV>
        where TWeights : struct, IColumnWeights<TV>
    {
        double loss = SliceLoss.Row(in p, Keep, Uniform, ZCoefficient);
        if (Gradient == null)
        {
            return T.CreateTruncating(loss);
        }
        ref TOut g = ref Unsafe.AsRef<TOut>(Gradient + (row * Stride));
        if (p.Ignored)
        {
            new Span<TOut>(Unsafe.AsPointer(ref g), Width).Clear();
            return T.Zero;
        }
        double logSum = Math.Log(p.SumOfExp);
        double a = Keep * p.TargetWeight * GradientScale;
        double b = Uniform * GradientScale;
        double s = a + (b * p.WeightSum) + (ZCoefficient != 0 ? 2 * ZCoefficient * (p.Max + logSum) * GradientScale : 0);
        VocabularySliceRow<TOps, TV, T>.Gradient<TIn, TOut, TCap, TWeights, Off>(in x, ref g, Width, cap, weights,
            T.CreateTruncating(p.Max), T.CreateTruncating(logSum), T.CreateTruncating(s / p.SumOfExp), T.Zero, T.CreateTruncating(b));
        AddAtTarget(ref g, in p, -a);
        return T.CreateTruncating(loss);
    }

    private T TokenRow<TOps, TV, TCap>(ref readonly TIn x, int row, in VocabularyPartial p, TCap cap)
        where TOps : ISimd<TV, T>
        where TV : struct
        where TCap : struct, ISoftCap<TV>
    {
        var (logProbability, entropy) = SliceLoss.Token(in p);
        if (Entropy != null)
        {
            Entropy[row] = T.CreateTruncating(entropy);
        }
        if (Gradient == null)
        {
            return T.CreateTruncating(logProbability);
        }
        ref TOut g = ref Unsafe.AsRef<TOut>(Gradient + (row * Stride));
        if (p.Ignored)
        {
            new Span<TOut>(Unsafe.AsPointer(ref g), Width).Clear();
            return T.Zero;
        }
        double alpha = LogProbabilityGradient != null ? double.CreateTruncating(LogProbabilityGradient[row]) : 0;
        double beta = EntropyGradient != null ? double.CreateTruncating(EntropyGradient[row]) : 0;
        double logSum = Math.Log(p.SumOfExp);

        // ∂(α·log p_t + β·H)/∂x̃_j = α·[j = t] − p_j·(α + β·H + β·log p_j).
        T shift = T.CreateTruncating(p.Max);
        T scale = T.CreateTruncating(-(alpha + (beta * entropy)) / p.SumOfExp);
        if (beta != 0)
        {
            VocabularySliceRow<TOps, TV, T>.Gradient<TIn, TOut, TCap, NoWeights<TV>, On>(in x, ref g, Width, cap, default,
                shift, T.CreateTruncating(logSum), scale, T.CreateTruncating(-beta / p.SumOfExp), T.Zero);
        }
        else
        {
            VocabularySliceRow<TOps, TV, T>.Gradient<TIn, TOut, TCap, NoWeights<TV>, Off>(in x, ref g, Width, cap, default,
                shift, T.CreateTruncating(logSum), scale, T.Zero, T.Zero);
        }
        AddAtTarget(ref g, in p, alpha);
        return T.CreateTruncating(logProbability);
    }

    /// <summary>
    /// g[t] += amount·cap′(x_t) when the target is in the slice, after the row pass (which may have written over the
    /// logits: the derivative 1 − tanh²(x_t/c) = 1 − (x̃_t/c)² comes from the partial's capped target logit).
    /// </summary>
    private void AddAtTarget(ref TOut g, in VocabularyPartial p, double amount)
    {
        long local = p.Target - Offset;
        if ((ulong)local >= (ulong)Width)
        {
            return;
        }
        if (T.IsFinite(SoftCap))
        {
            double ratio = p.TargetLogit / double.CreateTruncating(SoftCap);
            amount *= double.IsNegativeInfinity(p.TargetLogit) ? 0 : 1 - (ratio * ratio);
        }
        ref TOut slot = ref Unsafe.Add(ref g, (nint)local);
        T value = Elements<Scalar<T>, T, T>.LoadOne(in slot, 0) + T.CreateTruncating(amount);
        Elements<Scalar<T>, T, T>.Store(value, ref slot, 0);
    }
}

/// <summary>Per-row values from a complete partial (every column covered).</summary>
internal static class SliceLoss
{
    /// <summary>
    /// The row's cross-entropy (weighted, smoothed) plus <paramref name="zCoefficient"/>·(log Z)²; 0 for an ignored row.
    /// With Mean the caller passes λ·D/N, so that the driver's total / D is Σ ℓ / D + λ·Σ (log Z)² / N.
    /// </summary>
    public static double Row(in VocabularyPartial p, double keep, double uniform, double zCoefficient)
    {
        if (p.Ignored)
        {
            return 0;
        }
        double logSum = Math.Log(p.SumOfExp);
        // (M − x_t) + log S never cancels.
        double loss = p.TargetWeight * ((p.Max - p.TargetLogit) + logSum);
        if (uniform != 0)
        {
            loss = (keep * loss) + (uniform * (p.ShiftedSum + (p.WeightSum * logSum)));
        }
        double logZ = p.Max + logSum;
        return zCoefficient != 0 ? loss + (zCoefficient * logZ * logZ) : loss;
    }

    /// <summary>λ times the z-loss's share: D/N for Mean (so that total / D gives Σ z / N), 1 otherwise.</summary>
    public static double ZCoefficient(double zLoss, Reduction reduction, double divisor, int counted) =>
        reduction == Reduction.Mean && zLoss != 0 ? zLoss * divisor / counted : zLoss;

    /// <summary>log softmax(x̃)[t] = (x̃_t − M) − log S and the entropy log S − E/S; zeros for an ignored row.</summary>
    public static (double LogProbability, double Entropy) Token(in VocabularyPartial p)
    {
        if (p.Ignored)
        {
            return (0, 0);
        }
        double logSum = Math.Log(p.SumOfExp);
        return ((p.TargetLogit - p.Max) - logSum, logSum - (p.ExpMoment / p.SumOfExp));
    }
}
