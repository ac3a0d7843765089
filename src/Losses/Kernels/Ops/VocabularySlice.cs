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
