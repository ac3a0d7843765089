global using CrossEntropyTerm = Losses.Kernels.GradientTerms<Losses.Kernels.Off, Losses.Kernels.Off, Losses.Kernels.On>;
global using EntropyTerm = Losses.Kernels.GradientTerms<Losses.Kernels.On, Losses.Kernels.On, Losses.Kernels.Off>;
global using ScaleTerm = Losses.Kernels.GradientTerms<Losses.Kernels.Off, Losses.Kernels.Off, Losses.Kernels.Off>;
global using UnflooredEntropyTerm = Losses.Kernels.GradientTerms<Losses.Kernels.On, Losses.Kernels.Off, Losses.Kernels.Off>;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

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

/// <summary>Which terms a gradient pass of <see cref="VocabularySliceRow{TOps, TV, T}"/> computes, at compile time.</summary>
internal interface IGradientTerm
{
    /// <summary>The entropy's term entropyScale·e·d.</summary>
    static abstract bool Entropy { get; }

    /// <summary>d floored at <see cref="VocabularySliceRow{TOps, TV, T}.EntropyFloor"/> in the entropy's term (needed when a logit may be −∞).</summary>
    static abstract bool Floored { get; }

    /// <summary>The smoothing term −offset·w.</summary>
    static abstract bool Offset { get; }
}

/// <summary>
/// The terms as compile-time switches; the named kinds (global aliases at the top of this file): cross-entropy s·e − b·w
/// (<c>CrossEntropyTerm</c>), s·e alone — no smoothing, or token log-probabilities without β (<c>ScaleTerm</c>), the
/// entropy's e·(s + sd·max(d, floor)) (<c>EntropyTerm</c>), and the same without the floor for a slice whose storing
/// forward saw no −∞ logit, one operation fewer (<c>UnflooredEntropyTerm</c>).
/// </summary>
internal readonly struct GradientTerms<TEntropy, TFloor, TOffset> : IGradientTerm
    where TEntropy : struct, ISwitch
    where TFloor : struct, ISwitch
    where TOffset : struct, ISwitch
{
    public static bool Entropy => TEntropy.IsOn;
    public static bool Floored => TFloor.IsOn;
    public static bool Offset => TOffset.IsOn;
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
/// The row math of cross-entropy and token log-probabilities over a slice of a vocabulary: the shift (a max pass), the
/// statistics of a slice (one pass, one exp per element, with only the sums asked for), and the gradient of a slice given
/// the whole row's normaliser — either recomputing the exp (one pass, one exp per element) or, when the statistics pass
/// stored its exps into the gradient, rescaling them (one pass, no exp), as the fused one-shot cross-entropy row does.
/// Logits are read as <typeparamref name="T"/>, Half or bfloat16 (widened in registers) and may be soft-capped in the
/// loads; rows are at least one vector long (<see cref="Dispatch"/>).
/// </summary>
internal static class VocabularySliceRow<TOps, TV, T>
    where TOps : ISimd<TV, T>
    where TV : struct
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>
    /// The largest capped logit of x[0..n), floored at the most negative finite value; NaN if any logit is NaN. With
    /// <typeparamref name="TWiden"/> the logits (16-bit ones) are also written, widened, to <paramref name="widened"/> (the
    /// gradient row, which the statistics pass then reads and overwrites with its exps), so that each is converted once.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static T Shift<TIn, TCap, TWiden>(ref readonly TIn x, ref T widened, int n, TCap cap)
        where TIn : unmanaged
        where TCap : struct, ISoftCap<TV>
        where TWiden : struct, ISwitch
    {
        nuint count = (nuint)TOps.Count;
        nuint length = (nuint)n;

        // Max and NaN are idempotent: the last vector may overlap the previous ones unmasked, and the maxima may be taken
        // in any grouping — here in four chains, so that the loop runs at the speed of its loads rather than of the latency
        // of one chain of maxima. The cap is increasing, so the capped maximum is the cap of the maximum.
        TV max = TOps.Create(T.NegativeInfinity);
        TV max1 = max, max2 = max, max3 = max;
        TV nan = default;
        nuint i = 0;
        if (!TWiden.IsOn)
        {
            // NaN is detected through a plain sum of the logits (one add per vector, where a compare costs two on AVX-512):
            // a NaN makes it NaN. So can +∞ next to −∞ or an overflow next to −∞; then the exact test runs again.
            TV probe = default;
            for (; i + (4 * count) <= length; i += 4 * count)
            {
                TV v0 = Elements<TOps, TV, T>.Load(in x, i);
                TV v1 = Elements<TOps, TV, T>.Load(in x, i + count);
                TV v2 = Elements<TOps, TV, T>.Load(in x, i + (2 * count));
                TV v3 = Elements<TOps, TV, T>.Load(in x, i + (3 * count));
                max = TOps.MaxFast(max, v0);
                max1 = TOps.MaxFast(max1, v1);
                max2 = TOps.MaxFast(max2, v2);
                max3 = TOps.MaxFast(max3, v3);
                probe = TOps.Add(probe, TOps.Add(TOps.Add(v0, v1), TOps.Add(v2, v3)));
            }
            if (T.IsNaN(TOps.Sum(probe)))
            {
                for (nuint j = 0; j < i; j += count)
                {
                    nan = TOps.Or(nan, VectorMath<TOps, TV, T>.IsNaN(Elements<TOps, TV, T>.Load(in x, j)));
                }
            }
        }
        for (; i < length; i += count)
        {
            nuint at = i + count <= length ? i : length - count;
            TV v = Elements<TOps, TV, T>.Load(in x, at);
            if (TWiden.IsOn)
            {
                TOps.Store(v, ref widened, at);
            }
            max = TOps.MaxFast(max, v);
            nan = TOps.Or(nan, VectorMath<TOps, TV, T>.IsNaN(v));
        }
        max = TOps.MaxFast(TOps.MaxFast(max, max1), TOps.MaxFast(max2, max3));
        return T.IsNaN(TOps.Sum(nan)) ? T.NaN : T.Max(TOps.MaxAcross(cap.Apply(max)), FloatLimits<T>.MinValue);
    }

    /// <summary>
    /// The statistics of x[0..n) after the cap, relative to <paramref name="shift"/> (the row's max, so that every exp's
    /// argument is ≤ 0): Σe always, the moment and the smoothing sum only when <typeparamref name="TMoment"/> and
    /// <typeparamref name="TShifted"/> are on (zero otherwise, at no cost); with <typeparamref name="TStore"/> the exps
    /// e = exp(x̃ − shift) are also stored into <paramref name="e"/>. Σe has the same bits whichever other sums are on, so
    /// that asking for an entropy never changes a loss or a log-probability. The last vector is loaded first, so
    /// <paramref name="e"/> may be x itself.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static SliceStatistics<T> Statistics<TIn, TCap, TWeights, TMoment, TShifted, TStore>(ref readonly TIn x, ref T e, int n, TCap cap,
        TWeights weights, T shift)
        where TIn : unmanaged
        where TCap : struct, ISoftCap<TV>
        where TWeights : struct, IColumnWeights<TV>
        where TMoment : struct, ISwitch
        where TShifted : struct, ISwitch
        where TStore : struct, ISwitch
    {
        nuint count = (nuint)TOps.Count;
        nuint length = (nuint)n;
        nuint start = length - count;
        TV last = Elements<TOps, TV, T>.Load(in x, start);
        TV shiftV = TOps.Create(shift);
        TV floor = TOps.Create(FloatLimits<T>.MinValue);
        var sum = new LaneSum<TOps, TV, T>();
        var moment = new LaneSum<TOps, TV, T>();
        var shifted = new LaneSum<TOps, TV, T>();
        nuint i = 0;
        for (; i + count <= length; i += count)
        {
            TV d = TOps.Subtract(cap.Apply(Elements<TOps, TV, T>.Load(in x, i)), shiftV);
            TV exp = VectorMath<TOps, TV, T>.ExpNonPositive(d);
            if (TStore.IsOn)
            {
                TOps.Store(exp, ref e, i);
            }
            sum.Add(exp);
            if (TMoment.IsOn)
            {
                // Floored so that a masked entry gives 0·(−MaxValue) = 0, not 0·(−∞).
                moment.Add(TOps.Multiply(exp, TOps.MaxFast(d, floor)));
            }
            if (TShifted.IsOn)
            {
                shifted.Add(weights.Times(TOps.Subtract(default, d), i));
            }
        }
        if (i < length)
        {
            sum.Add(StatisticsTail<TCap, TWeights, TMoment, TShifted, TStore>(last, ref e, start, i - start, cap, weights, shiftV,
                out TV momentTerm, out TV shiftedTerm));
            if (TMoment.IsOn)
            {
                moment.Add(momentTerm);
            }
            if (TShifted.IsOn)
            {
                shifted.Add(shiftedTerm);
            }
        }
        return new SliceStatistics<T>
        {
            Shift = shift,
            SumOfExp = sum.Total(),
            Moment = TMoment.IsOn ? moment.Total() : T.Zero,
            Shifted = TShifted.IsOn ? shifted.Total() : T.Zero,
        };
    }

    /// <summary>
    /// <see cref="Statistics"/>'s last, overlapping vector (loaded from <paramref name="start"/>; lanes below
    /// <paramref name="overlap"/> were counted by the loop): its exps stored with <typeparamref name="TStore"/>, its masked
    /// terms of Σe (returned), the moment and the smoothing sum. A call of its own, once per row, so that the loop keeps
    /// the only inlined copy of the cap's and the exp's polynomials (with two, a soft-capped pass ran out of inlining budget).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static TV StatisticsTail<TCap, TWeights, TMoment, TShifted, TStore>(TV last, ref T e, nuint start, nuint overlap, TCap cap,
        TWeights weights, TV shiftV, out TV momentTerm, out TV shiftedTerm)
        where TCap : struct, ISoftCap<TV>
        where TWeights : struct, IColumnWeights<TV>
        where TMoment : struct, ISwitch
        where TShifted : struct, ISwitch
        where TStore : struct, ISwitch
    {
        TV keep = TOps.GreaterThanOrEqual(TOps.Indices, TOps.Create(Floats<T>.FromDouble(overlap)));
        TV d = TOps.Subtract(cap.Apply(last), shiftV);
        TV exp = VectorMath<TOps, TV, T>.ExpNonPositive(d);
        if (TStore.IsOn)
        {
            TOps.Store(exp, ref e, start);
        }
        momentTerm = TMoment.IsOn ? TOps.Select(keep, TOps.Multiply(exp, TOps.MaxFast(d, TOps.Create(FloatLimits<T>.MinValue))), default) : default;
        shiftedTerm = TShifted.IsOn ? TOps.Select(keep, weights.Times(TOps.Subtract(default, d), start), default) : default;
        return TOps.Select(keep, exp, default);
    }

    /// <summary>
    /// e[j] = exp(x[j] − shift) stored and Σe returned, with <typeparamref name="TMoment"/> also Σ e·(x − shift) (the entropy's
    /// moment) in <paramref name="moment"/>, in one pass. With <typeparamref name="TFloor"/> x − shift is floored at the most
    /// negative finite value in the moment, so that a −∞ logit adds 0·(−MaxValue) = 0; without, one operation fewer, and a
    /// −∞ logit makes the moment (only) NaN: <see cref="Moment"/> then gives the floored moment's bits. The pass: the blocks and
    /// flushes of <see cref="Rows{TOps, TV, T}.MapSum{TOp}"/>, the moment one multiply-add more per vector; Σe has the same bits
    /// with or without the moment, so that asking for an entropy never changes a loss. Terms of both sums are bounded (e in
    /// [0, 1], e·d in [−1/e, 0]): blocks of <see cref="UnitBlockSteps"/> vectors. With <paramref name="ahead"/> ≠ 0 each step
    /// prefetches x[i + ahead] and e[i + ahead] (the next row of a strided slice, for its max pass and its stores; x86 only;
    /// harmless past the end); with <typeparamref name="TNext"/> it also takes that next row's max into
    /// <paramref name="nextMax"/> (bitwise <see cref="Rows{TOps, TV, T}.ShiftMax"/>: a max is exact in any order). The last
    /// vector is loaded first, so e may be x itself.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static unsafe T ExpSum<TMoment, TFloor, TNext>(ref readonly T x, ref T e, int n, T shift, nint ahead, out T moment, ref T nextMax)
        where TMoment : struct, ISwitch
        where TFloor : struct, ISwitch
        where TNext : struct, ISwitch
    {
        nuint count = (nuint)TOps.Count;
        nuint length = (nuint)n;
        nuint last = length - count;
        TV lastValue = TOps.Load(in x, last);

        // With TNext, the next row's (ahead elements on) lane maxima, as Rows.ShiftMax takes them: its last vector, then
        // every full one — loads of a line this pass prefetches anyway, so that its max pass need not wait for them.
        ref T next = ref Unsafe.Add(ref Unsafe.AsRef(in x), ahead);
        TV nextLanes = TNext.IsOn ? TOps.Load(in next, last) : default;
        TV shiftV = TOps.Create(shift);
        TV floor = TFloor.IsOn ? TOps.Create(FloatLimits<T>.MinValue) : default;
        TV block = default, high = default, low = default;
        TV momentBlock = default, momentHigh = default, momentLow = default;
        int steps = 0;
        nuint i = 0;
        for (; i + count <= length; i += count)
        {
            if (ahead != 0 && Sse.IsSupported)
            {
                // With TNext the next row's logits are loaded below (the same lines): only its exps' lines are prefetched.
                if (!TNext.IsOn)
                {
                    Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref Unsafe.AsRef(in x), ahead + (nint)i)));
                }
                Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref e, ahead + (nint)i)));
            }
            if (TNext.IsOn)
            {
                nextLanes = TOps.MaxFast(nextLanes, TOps.Load(in next, i));
            }
            TV d = TOps.Subtract(TOps.Load(in x, i), shiftV);
            TV value = VectorMath<TOps, TV, T>.ExpNonPositive(d);
            TOps.Store(value, ref e, i);
            block = TOps.Add(block, value);
            if (TMoment.IsOn)
            {
                momentBlock = TOps.MultiplyAdd(value, TFloor.IsOn ? TOps.MaxFast(d, floor) : d, momentBlock);
            }
            if (++steps == UnitBlockSteps)
            {
                high = LaneSum<TOps, TV, T>.FlushInto(high, ref low, block);
                block = default;
                if (TMoment.IsOn)
                {
                    momentHigh = LaneSum<TOps, TV, T>.FlushInto(momentHigh, ref momentLow, momentBlock);
                    momentBlock = default;
                }
                steps = 0;
            }
        }
        if (i < length)
        {
            TV d = TOps.Subtract(lastValue, shiftV);
            TV value = VectorMath<TOps, TV, T>.ExpNonPositive(d);
            TOps.Store(value, ref e, last);
            TV kept = TOps.Select(Rows<TOps, TV, T>.TailMask(i, last), value, default);
            block = TOps.Add(block, kept);
            if (TMoment.IsOn)
            {
                momentBlock = TOps.MultiplyAdd(kept, TFloor.IsOn ? TOps.MaxFast(d, floor) : d, momentBlock);
            }
        }
        if (TNext.IsOn)
        {
            nextMax = TOps.MaxAcross(nextLanes);
        }
        // A row of fewer than UnitBlockSteps full vectors never flushed: (high, low) = (0, 0), and flushing the block into
        // them would give (block, 0) exactly, so the block is summed as it is (bitwise the same, a few operations fewer).
        moment = T.Zero;
        if (length < UnitBlockSteps * count)
        {
            if (TMoment.IsOn)
            {
                moment = TOps.Sum(momentBlock);
            }
            return TOps.Sum(block);
        }
        high = LaneSum<TOps, TV, T>.FlushInto(high, ref low, block);
        if (TMoment.IsOn)
        {
            momentHigh = LaneSum<TOps, TV, T>.FlushInto(momentHigh, ref momentLow, momentBlock);
            moment = TOps.Sum(momentHigh) + TOps.Sum(momentLow);
        }
        return TOps.Sum(high) + TOps.Sum(low);
    }

    /// <summary>
    /// For each of <paramref name="rows"/> rows of x (<paramref name="n"/> elements, <paramref name="stride"/> apart) whose
    /// bit in <paramref name="skip"/> is clear: the shift m = max(<see cref="Rows{TOps, TV, T}.ShiftMax"/>, MinValue) (the
    /// exact <see cref="Shift"/> when that is +∞) into <paramref name="shifts"/>[k], then Σe into <paramref name="sums"/>[k]
    /// while storing the exps into e (same stride) — bitwise those calls and <see cref="ExpSum{TMoment, TFloor, TNext}"/> without the
    /// moment, for a slice of fewer than <see cref="UnitBlockSteps"/> vectors (never flushed), in one call per group of
    /// rows: no exp-pass call, prologue or tail mask per row. Each row prefetches the next one's lines; the last vector is
    /// loaded first, so e may be x itself.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static unsafe void ShiftExpSumRows(ref readonly T x, ref T e, nint stride, int n, int rows, uint skip, ref T shifts, ref T sums)
    {
        nuint count = (nuint)TOps.Count;
        nuint length = (nuint)n;
        nuint last = length - count;
        nuint full = length / count * count;
        TV keep = Rows<TOps, TV, T>.TailMask(full, last);
        int k = NextRow(skip, 0, rows);
        if (k == rows)
        {
            return;
        }
        T shift = Rows<TOps, TV, T>.ShiftMax(in Unsafe.Add(ref Unsafe.AsRef(in x), k * stride), n);
        while (k < rows)
        {
            ref T xr = ref Unsafe.Add(ref Unsafe.AsRef(in x), k * stride);
            ref T er = ref Unsafe.Add(ref e, k * stride);
            if (shift == T.PositiveInfinity)
            {
                shift = Shift<T, NoCap<TV>, Off>(in xr, ref Unsafe.NullRef<T>(), n, default);
            }
            shift = T.Max(shift, FloatLimits<T>.MinValue);
            int next = NextRow(skip, k + 1, rows);

            // The next row's maximum is taken in this row's exp pass, so that its exp pass need not wait for it.
            ref T xn = ref next < rows ? ref Unsafe.Add(ref Unsafe.AsRef(in x), next * stride) : ref xr;
            TV lastValue = TOps.Load(in xr, last);
            TV nextMax = TOps.Load(in xn, last);
            TV shiftV = TOps.Create(shift);
            TV block = default;
            nuint i = 0;
            for (; i < full; i += count)
            {
                if (Sse.IsSupported)
                {
                    Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref xr, (2 * stride) + (nint)i)));
                    Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref er, stride + (nint)i)));
                }
                nextMax = TOps.MaxFast(nextMax, TOps.Load(in xn, i));
                TV value = VectorMath<TOps, TV, T>.ExpNonPositive(TOps.Subtract(TOps.Load(in xr, i), shiftV));
                TOps.Store(value, ref er, i);
                block = TOps.Add(block, value);
            }
            if (full < length)
            {
                TV value = VectorMath<TOps, TV, T>.ExpNonPositive(TOps.Subtract(lastValue, shiftV));
                TOps.Store(value, ref er, last);
                block = TOps.Add(block, TOps.Select(keep, value, default));
            }
            Unsafe.Add(ref shifts, k) = shift;
            Unsafe.Add(ref sums, k) = TOps.Sum(block);
            shift = TOps.MaxAcross(nextMax);
            k = next;
        }
    }

    /// <summary>The first row k ≥ <paramref name="from"/> whose bit in <paramref name="skip"/> is clear, or <paramref name="rows"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int NextRow(uint skip, int from, int rows)
    {
        while (from < rows && ((skip >> from) & 1) != 0)
        {
            from++;
        }
        return from;
    }

    /// <summary>Whether <see cref="ShiftExpSumRows"/> takes a slice of <paramref name="n"/> columns: fewer than <see cref="UnitBlockSteps"/> vectors.</summary>
    public static bool ShortSlice(int n) => n < UnitBlockSteps * TOps.Count;

    /// <summary>
    /// The floored moment Σ e·max(x − shift, MinValue) of <see cref="ExpSum{TMoment, TFloor, TNext}"/> from its stored exps
    /// <paramref name="e"/> (apart from x), bitwise what the floored pass sums: for rows with −∞ logits after the pass
    /// without the floor.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static T Moment(ref readonly T x, ref readonly T e, int n, T shift)
    {
        nuint count = (nuint)TOps.Count;
        nuint length = (nuint)n;
        nuint last = length - count;
        TV shiftV = TOps.Create(shift);
        TV floor = TOps.Create(FloatLimits<T>.MinValue);
        TV block = default, high = default, low = default;
        int steps = 0;
        nuint i = 0;
        for (; i + count <= length; i += count)
        {
            block = TOps.MultiplyAdd(TOps.Load(in e, i), TOps.MaxFast(TOps.Subtract(TOps.Load(in x, i), shiftV), floor), block);
            if (++steps == UnitBlockSteps)
            {
                high = LaneSum<TOps, TV, T>.FlushInto(high, ref low, block);
                block = default;
                steps = 0;
            }
        }
        if (i < length)
        {
            TV kept = TOps.Select(Rows<TOps, TV, T>.TailMask(i, last), TOps.Load(in e, last), default);
            block = TOps.MultiplyAdd(kept, TOps.MaxFast(TOps.Subtract(TOps.Load(in x, last), shiftV), floor), block);
        }
        if (length < UnitBlockSteps * count)
        {
            return TOps.Sum(block);
        }
        high = LaneSum<TOps, TV, T>.FlushInto(high, ref low, block);
        return TOps.Sum(high) + TOps.Sum(low);
    }

    /// <summary>Vectors summed between two flushes in <see cref="ExpSum{TMoment, TFloor, TNext}"/> and <see cref="Moment"/>: Rows.MapSum's.</summary>
    private const int UnitBlockSteps = 32;

    /// <summary>
    /// The statistics of x[0..n) after the cap in one pass (no max pass): per lane a running maximum m, seeded with the
    /// maximum of the first <see cref="SeedLength"/> elements so that rises are rare; when a lane's maximum rises from m to
    /// m′ (δ = m − m′), Σe and the moment are rescaled by exp(δ) (the moment also gains exp(δ)·δ·Σe) and the smoothing
    /// sum gains −δ·Σw, so that every term stays relative to the current maximum (the smoothing terms non-negative);
    /// the lanes are brought to the row's maximum the same way at the end. The last vector goes through the same body
    /// with its already-seen lanes set to −∞, so the exp is inlined once. A NaN logit makes Σe NaN.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static SliceStatistics<T> OnlineStatistics<TIn, TCap, TWeights, TMoment, TShifted>(ref readonly TIn x, int n, TCap cap, TWeights weights)
        where TIn : unmanaged
        where TCap : struct, ISoftCap<TV>
        where TWeights : struct, IColumnWeights<TV>
        where TMoment : struct, ISwitch
        where TShifted : struct, ISwitch
    {
        nuint count = (nuint)TOps.Count;
        nuint length = (nuint)n;
        TV floor = TOps.Create(FloatLimits<T>.MinValue);
        TV negativeInfinity = TOps.Create(T.NegativeInfinity);
        TV one = TOps.Create(T.One);
        TV all = TOps.Equal(one, one);
        TV max = TOps.MaxFast(cap.Apply(SeedMax(in x, length)), floor);
        var sum = new LaneSum<TOps, TV, T>();
        var moment = new LaneSum<TOps, TV, T>();
        var shifted = new LaneSum<TOps, TV, T>();
        TV columns = default;
        nuint i = 0;
        while (true)
        {
            TV v;
            TV keep;
            nuint at;
            if (i + count <= length)
            {
                at = i;
                v = cap.Apply(Elements<TOps, TV, T>.Load(in x, at));
                keep = all;
                i += count;
            }
            else if (i < length)
            {
                at = length - count;
                keep = TOps.GreaterThanOrEqual(TOps.Indices, TOps.Create(Floats<T>.FromDouble(i - at)));
                v = TOps.Select(keep, cap.Apply(Elements<TOps, TV, T>.Load(in x, at)), negativeInfinity);
                i = length;
            }
            else
            {
                break;
            }
            if (TOps.AnyGreaterThan(v, max))
            {
                // δ = m − m′ ≤ 0, floored so that a lane that saw only −∞ gives 0, not ∞·0. The exp is inlined: a call
                // would clobber every vector register and push the sums to memory.
                TV raised = TOps.MaxFast(max, v);
                TV delta = TOps.MaxFast(TOps.Subtract(max, raised), floor);
                TV ratio = VectorMath<TOps, TV, T>.ExpNonPositive(delta);
                if (TMoment.IsOn)
                {
                    TV before = sum.Current;
                    moment.Scale(ratio);
                    moment.Add(TOps.Multiply(TOps.Multiply(ratio, delta), before));
                }
                sum.Scale(ratio);
                if (TShifted.IsOn)
                {
                    shifted.Add(TOps.Multiply(TOps.Subtract(default, delta), columns));
                }
                max = raised;
            }
            TV d = TOps.Subtract(v, max);
            TV e = VectorMath<TOps, TV, T>.ExpNonPositive(d);
            sum.Add(e);
            if (TMoment.IsOn)
            {
                // Floored so that a masked entry gives 0·(−MaxValue) = 0, not 0·(−∞).
                moment.Add(TOps.Multiply(e, TOps.MaxFast(d, floor)));
            }
            if (TShifted.IsOn)
            {
                shifted.Add(TOps.Select(keep, weights.Times(TOps.Subtract(default, d), at), default));
                columns = TOps.Add(columns, TOps.Select(keep, weights.Times(one, at), default));
            }
        }
        // Every lane brought to the row's maximum M as above (δ = m − M), and summed.
        T top = TOps.MaxAcross(max);
        TV lastDelta = TOps.MaxFast(TOps.Subtract(max, TOps.Create(top)), floor);
        TV lastRatio = Rows<TOps, TV, T>.ExpOutOfLine(lastDelta);
        return new SliceStatistics<T>
        {
            Shift = top,
            SumOfExp = sum.ScaledTotal(lastRatio),
            Moment = TMoment.IsOn ? moment.ScaledTotal(lastRatio) + TOps.Sum(TOps.Multiply(TOps.Multiply(lastRatio, lastDelta), sum.Current)) : T.Zero,
            Shifted = TShifted.IsOn ? shifted.Total() + TOps.Sum(TOps.Multiply(TOps.Subtract(default, lastDelta), columns)) : T.Zero,
        };
    }

    /// <summary>
    /// Per lane, the maximum of the first <see cref="SeedLength"/> raw logits (all of a shorter row, the overlapping last
    /// vector included): the online statistics' starting maximum, so that a row that fits never rescales.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV SeedMax<TIn>(ref readonly TIn x, nuint n)
        where TIn : unmanaged
    {
        nuint count = (nuint)TOps.Count;
        nuint end = Math.Min(n, SeedLength);
        TV seed = Elements<TOps, TV, T>.Load(in x, n <= SeedLength ? n - count : 0);
        for (nuint j = 0; j + count <= end; j += count)
        {
            seed = TOps.MaxFast(seed, Elements<TOps, TV, T>.Load(in x, j));
        }
        return seed;
    }

    private const int SeedLength = 2048;

    /// <summary>
    /// g[j] = cap′(x_j)·(exp(d_j)·(scale + entropyScale·d_j) − offset·w_j) (the terms <typeparamref name="TTerm"/> has) with d_j = x̃_j − shift (floored at
    /// <see cref="EntropyFloor"/> in the entropy's term, where exp(d) is 0 already, so that a masked entry gives 0·finite = 0;
    /// <see cref="SliceScales.Token"/> folds log p_j = d_j − log S into the two scales). The last vector is loaded first, so g may
    /// be x itself.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Gradient<TIn, TOut, TCap, TWeights, TTerm>(ref readonly TIn x, ref TOut g, int n, TCap cap, TWeights weights,
        T shift, T scale, T entropyScale, T offset)
        where TIn : unmanaged
        where TOut : unmanaged
        where TCap : struct, ISoftCap<TV>
        where TWeights : struct, IColumnWeights<TV>
        where TTerm : struct, IGradientTerm
    {
        nuint count = (nuint)TOps.Count;
        nuint last = (nuint)n - count;
        TV lastValue = Elements<TOps, TV, T>.Load(in x, last);
        var term = new GradientTerm<TCap, TWeights, TTerm>(cap, weights, shift, scale, entropyScale, offset);
        for (nuint i = 0; i < last; i += count)
        {
            Elements<TOps, TV, T>.Store(term.At(Elements<TOps, TV, T>.Load(in x, i), i), ref g, i);
        }
        Elements<TOps, TV, T>.Store(term.At(lastValue, last), ref g, last);
    }

    /// <summary>
    /// The same gradient from the exps a <see cref="Statistics"/> pass stored in g (relative to the same shift): no exp,
    /// bitwise the recomputed result. x is read only for the cap's derivative or the entropy's log p (then g must not be
    /// x); otherwise g may be x itself. With <paramref name="ahead"/> ≠ 0 each step prefetches g[i + ahead] (and x[i + ahead]
    /// when x is read: the next row of a strided slice; x86 only; harmless past the end).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static unsafe void Rescale<TIn, TCap, TWeights, TTerm>(ref readonly TIn x, ref T g, int n, TCap cap, TWeights weights,
        T shift, T scale, T entropyScale, T offset, nint ahead = 0)
        where TIn : unmanaged
        where TCap : struct, ISoftCap<TV>
        where TWeights : struct, IColumnWeights<TV>
        where TTerm : struct, IGradientTerm
    {
        if (!TCap.IsActive)
        {
            RescaleSteps<TIn, TCap, TWeights, TTerm>(in x, ref g, n, cap, weights, shift, scale, entropyScale, offset, ahead);
            return;
        }

        // With a cap: a vector a step (the tanh's polynomial inlined four times would exceed the JIT's inlining budget).
        bool readsLogits = TCap.IsActive || TTerm.Entropy;
        nuint count = (nuint)TOps.Count;
        nuint last = (nuint)n - count;
        TV lastExp = TOps.Load(in g, last);
        TV lastValue = readsLogits ? Elements<TOps, TV, T>.Load(in x, last) : default;
        var term = new GradientTerm<TCap, TWeights, TTerm>(cap, weights, shift, scale, entropyScale, offset);
        for (nuint i = 0; i < last; i += count)
        {
            if (ahead != 0 && Sse.IsSupported)
            {
                Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref g, ahead + (nint)i)));
                if (readsLogits)
                {
                    Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref Unsafe.AsRef(in x), ahead + (nint)i)));
                }
            }
            TV raw = readsLogits ? Elements<TOps, TV, T>.Load(in x, i) : default;
            TOps.Store(term.From(TOps.Load(in g, i), raw, i), ref g, i);
        }
        TOps.Store(term.From(lastExp, lastValue, last), ref g, last);
    }

    /// <summary><see cref="Rescale"/> without a cap: four vectors a step, one prefetch per 64-byte line.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static unsafe void RescaleSteps<TIn, TCap, TWeights, TTerm>(ref readonly TIn x, ref T g, int n, TCap cap, TWeights weights,
        T shift, T scale, T entropyScale, T offset, nint ahead)
        where TIn : unmanaged
        where TCap : struct, ISoftCap<TV>
        where TWeights : struct, IColumnWeights<TV>
        where TTerm : struct, IGradientTerm
    {
        bool readsLogits = TCap.IsActive || TTerm.Entropy;
        nuint count = (nuint)TOps.Count;
        nuint last = (nuint)n - count;
        TV lastExp = TOps.Load(in g, last);
        TV lastValue = readsLogits ? Elements<TOps, TV, T>.Load(in x, last) : default;
        var term = new GradientTerm<TCap, TWeights, TTerm>(cap, weights, shift, scale, entropyScale, offset);
        nuint i = 0;
        for (; i + (4 * count) <= last; i += 4 * count)
        {
            if (ahead != 0 && Sse.IsSupported)
            {
                // One prefetch per 64-byte line of the step (the conditions are constants of the width).
                Prefetch(ref g, in x, ahead + (nint)i, readsLogits);
                if (2 * count * (nuint)Unsafe.SizeOf<T>() == 64)
                {
                    Prefetch(ref g, in x, ahead + (nint)(i + (2 * count)), readsLogits);
                }
                else if (count * (nuint)Unsafe.SizeOf<T>() == 64)
                {
                    Prefetch(ref g, in x, ahead + (nint)(i + count), readsLogits);
                    Prefetch(ref g, in x, ahead + (nint)(i + (2 * count)), readsLogits);
                    Prefetch(ref g, in x, ahead + (nint)(i + (3 * count)), readsLogits);
                }
            }
            Step(ref g, in x, i, readsLogits, in term);
            Step(ref g, in x, i + count, readsLogits, in term);
            Step(ref g, in x, i + (2 * count), readsLogits, in term);
            Step(ref g, in x, i + (3 * count), readsLogits, in term);
        }
        for (; i < last; i += count)
        {
            Step(ref g, in x, i, readsLogits, in term);
        }
        TOps.Store(term.From(lastExp, lastValue, last), ref g, last);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static void Step(ref T g, ref readonly TIn x, nuint i, bool readsLogits, in GradientTerm<TCap, TWeights, TTerm> term)
        {
            TV raw = readsLogits ? Elements<TOps, TV, T>.Load(in x, i) : default;
            TOps.Store(term.From(TOps.Load(in g, i), raw, i), ref g, i);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static void Prefetch(ref T g, ref readonly TIn x, nint at, bool readsLogits)
        {
            Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref g, at)));
            if (readsLogits)
            {
                Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref Unsafe.AsRef(in x), at)));
            }
        }
    }

    /// <summary>
    /// <see cref="Rescale"/> with the scale term alone (g = e·s, bitwise the same) over <paramref name="rows"/> rows of
    /// <paramref name="n"/> stored exps, <paramref name="stride"/> elements apart, row k scaled by
    /// <paramref name="scales"/>[k]: one call per group of rows and four vectors a step, so that a short slice does not pay a
    /// call, a loop exit and a prologue per row. Each row prefetches the next one's lines (<paramref name="stride"/> ahead).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static unsafe void ScaleRows(ref T g, nint stride, int n, ref readonly T scales, int rows)
    {
        nuint count = (nuint)TOps.Count;
        nuint last = (nuint)n - count;
        nint line = 64 / Unsafe.SizeOf<T>();
        for (int k = 0; k < rows; k++)
        {
            ref T row = ref Unsafe.Add(ref g, k * stride);
            TV scale = TOps.Create(Unsafe.Add(ref Unsafe.AsRef(in scales), k));
            TV lastExp = TOps.Load(in row, last);
            nuint i = 0;
            for (; i + (4 * count) <= last; i += 4 * count)
            {
                if (Sse.IsSupported)
                {
                    Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref row, stride + (nint)i)));
                    if (4 * count > (nuint)line)
                    {
                        Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref row, stride + (nint)i + line)));
                    }
                }
                TV a = TOps.Load(in row, i);
                TV b = TOps.Load(in row, i + count);
                TV c = TOps.Load(in row, i + (2 * count));
                TV d = TOps.Load(in row, i + (3 * count));
                TOps.Store(TOps.Multiply(a, scale), ref row, i);
                TOps.Store(TOps.Multiply(b, scale), ref row, i + count);
                TOps.Store(TOps.Multiply(c, scale), ref row, i + (2 * count));
                TOps.Store(TOps.Multiply(d, scale), ref row, i + (3 * count));
            }
            if (Sse.IsSupported)
            {
                Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref row, stride + (nint)i)));
                Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref row, stride + (nint)last)));
            }
            for (; i < last; i += count)
            {
                TOps.Store(TOps.Multiply(TOps.Load(in row, i), scale), ref row, i);
            }
            TOps.Store(TOps.Multiply(lastExp, scale), ref row, last);
        }
    }

    /// <summary>
    /// The floor of d = x̃ − shift in the entropy's gradient term: below it exp(d) is 0 in T (exp underflows below −104 in
    /// float, −746 in double), and scale + entropyScale·floor stays finite for any |β| up to about 1e36 (float), so that a
    /// masked (−∞) logit gets 0, not 0·∞.
    /// </summary>
    public static T EntropyFloor => typeof(T) == typeof(float) ? T.CreateTruncating(-128.0) : T.CreateTruncating(-1024.0);

    private readonly struct GradientTerm<TCap, TWeights, TTerm>
        where TCap : struct, ISoftCap<TV>
        where TWeights : struct, IColumnWeights<TV>
        where TTerm : struct, IGradientTerm
    {
        private readonly TCap _cap;
        private readonly TWeights _weights;
        private readonly TV _shift;
        private readonly TV _scale;
        private readonly TV _entropyScale;
        private readonly TV _offset;

        // Held, not read per vector: the row loops are compiled before tiering could fold the property.
        private readonly TV _floor;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public GradientTerm(TCap cap, TWeights weights, T shift, T scale, T entropyScale, T offset)
        {
            _cap = cap;
            _weights = weights;
            _shift = TOps.Create(shift);
            _scale = TOps.Create(scale);
            _entropyScale = TOps.Create(entropyScale);
            _offset = TOps.Create(offset);
            _floor = TOps.Create(EntropyFloor);
        }

        /// <summary>The gradient at raw logits, recomputing the exp.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public TV At(TV raw, nuint index)
        {
            TV d = TOps.Subtract(_cap.Apply(raw, out TV derivative), _shift);
            return Term(VectorMath<TOps, TV, T>.ExpNonPositive(d), d, derivative, index);
        }

        /// <summary>The gradient from a stored exp (raw logits are read only for the cap or the entropy).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public TV From(TV e, TV raw, nuint index)
        {
            TV derivative = default;
            TV d = TCap.IsActive || TTerm.Entropy ? TOps.Subtract(_cap.Apply(raw, out derivative), _shift) : default;
            return Term(e, d, derivative, index);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private TV Term(TV e, TV d, TV derivative, nuint index)
        {
            // e·(scale + entropyScale·d): one multiply-add and one multiply (log p = d − log S is folded into scale).
            TV softmaxTerm = TTerm.Entropy
                ? TOps.Multiply(e, TOps.MultiplyAdd(TTerm.Floored ? TOps.MaxFast(d, _floor) : d, _entropyScale, _scale))
                : TOps.Multiply(e, _scale);
            TV value = TTerm.Offset ? TOps.Subtract(softmaxTerm, _weights.Times(_offset, index)) : softmaxTerm;
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
/// <remarks>Without the locals' zeroing: the row method's frame (hundreds of bytes of vector and partial temporaries) would
/// otherwise be cleared on every row and slice.</remarks>
[SkipLocalsInit]
internal readonly unsafe struct VocabularySliceOp<T, TIn, TOut> : IRowOp<T>
    where T : unmanaged, IFloatingPointIeee754<T>
    where TIn : unmanaged
    where TOut : unmanaged
{
    /// <summary>
    /// The fields every slice op has — what it computes, its logits and where its slice lies, the cap (+∞ for none) — with
    /// every other option at none; the public functions add theirs with <c>with</c>.
    /// </summary>
    public static VocabularySliceOp<T, TIn, TOut> Of(SliceMode mode, TIn* logits, int stride, int width, int offset, double softCap) =>
        new() { Mode = mode, Logits = logits, Stride = stride, Width = width, Offset = offset, SoftCap = T.CreateTruncating(softCap) };

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

    /// <summary>
    /// A forward that stores the exps exp(x̃ − slice max) into <see cref="Gradient"/> (of T) and writes each row's partial,
    /// marked as stored, to <see cref="Partials"/> (Statistics, Token); no gradient is computed.
    /// </summary>
    public bool StoreExps { get; init; }

    /// <summary>Statistics with <see cref="StoreExps"/>: leave the entropy's moment / the smoothing sum out (marked in the partial).</summary>
    public bool WithoutMoment { get; init; }
    public bool WithoutShiftedSum { get; init; }

    /// <summary>
    /// Backward from stored exps: each row's partial over this slice as the storing forward wrote it (its max is the
    /// exps' shift); <see cref="Gradient"/> holds the exps and is rescaled by exp(m_slice − M) with M, S from
    /// <see cref="Partials"/>. Null otherwise.
    /// </summary>
    public VocabularyPartial* SlicePartials { get; init; }

    /// <summary>Cross-entropy: 1 − ε.</summary>
    public double Keep { get; init; }

    /// <summary>Cross-entropy: ε/C.</summary>
    public double Uniform { get; init; }

    /// <summary>Cross-entropy: λ times the z-loss's share of the reduction (see <see cref="SliceLoss.Row(in VocabularyPartial, double, double, double)"/>).</summary>
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
        if (Mode != SliceMode.Statistics && Partials != null && !StoreExps)
        {
            ref readonly VocabularyPartial given = ref Partials[row];
            if (SlicePartials == null)
            {
                return Mode == SliceMode.CrossEntropy
                    ? CrossEntropyRow<TOps, TV, TCap, TWeights>(in x, row, in given, cap, weights, stored: false)
                    : TokenRow<TOps, TV, TCap>(in x, row, in given, cap, stored: false);
            }

            // The stored exps are relative to the slice's max m: exp(x̃ − M) = exp(x̃ − m)·exp(m − M), one exp per row.
            double sliceMax = SlicePartials[row].Max;
            double ratio = RowScalars.Exp(sliceMax - given.Max);
            return Mode == SliceMode.CrossEntropy
                ? CrossEntropyRow<TOps, TV, TCap, TWeights>(in x, row, in given, cap, weights, stored: true, ratio)
                : TokenRow<TOps, TV, TCap>(in x, row, in given, cap, stored: true, ratio);
        }

        // The row's partial is computed here. With a gradient of T the exps go into it during the statistics pass and
        // the gradient pass only rescales them (one exp per element, as the fused one-shot row) — unless that pass must
        // read the logits (cap, entropy) and the gradient is written over them.
        long target = Targets32 != null ? Targets32[row] : Targets64[row];
        // The entropy's moment is summed when the entropy is written or its gradient term is on; only the gradient term
        // makes the gradient pass read the logits.
        bool entropyGradientTerm = Mode == SliceMode.Token && Gradient != null && EntropyGradient != null && EntropyGradient[row] != T.Zero;
        bool entropyNeeded = entropyGradientTerm || (Mode == SliceMode.Token && Entropy != null);
        // A storing forward (StoreExps) is refused in place with a cap at the API, and its partials must serve any later
        // backward: the moment is always summed.
        bool store = Gradient != null && typeof(TOut) == typeof(T) && target != IgnoreIndex
            && (StoreExps || !(TCap.IsActive || entropyGradientTerm) || (void*)Gradient != (void*)Logits);
        // The partial is written field by field where it goes (Partials[row] when it is kept), not built and copied.
        Unsafe.SkipInit(out VocabularyPartial local);
        bool kept = Mode == SliceMode.Statistics || (StoreExps && Mode == SliceMode.Token);
        ref VocabularyPartial partial = ref kept ? ref Partials[row] : ref local;
        Partial<TOps, TV, TCap, TWeights>(in x, row, target, cap, weights,
            moment: (Mode == SliceMode.Statistics && !WithoutMoment) || entropyNeeded || (StoreExps && Mode == SliceMode.Token),
            shifted: (Mode == SliceMode.Statistics && !WithoutShiftedSum) || Uniform != 0, store,
            twoPass: Gradient != null, ref partial);
        if (StoreExps && Mode == SliceMode.Token)
        {
            return TokenRow<TOps, TV, TCap>(in x, row, in partial, cap, stored: false);
        }
        switch (Mode)
        {
            case SliceMode.Statistics:
                return T.Zero;
            case SliceMode.CrossEntropy:
                return CrossEntropyRow<TOps, TV, TCap, TWeights>(in x, row, in partial, cap, weights, store);
            default:
                return TokenRow<TOps, TV, TCap>(in x, row, in partial, cap, store);
        }
    }

    private void Partial<TOps, TV, TCap, TWeights>(ref readonly TIn x, int row, long target, TCap cap, TWeights weights,
        bool moment, bool shifted, bool store, bool twoPass, ref VocabularyPartial destination)
        where TOps : ISimd<TV, T>
        where TV : struct
        where TCap : struct, ISoftCap<TV>
        where TWeights : struct, IColumnWeights<TV>
    {
        if (target == IgnoreIndex)
        {
            VocabularyPartial.Write(ref destination, 0, 0, 0, 0, 0, 0, 0, target, Width, false, true);
            return;
        }
        long local = target - Offset;
        bool found = (ulong)local < (ulong)Width;

        // Read before the statistics pass, which may store its exps over the logits.
        double targetLogit = found ? Floats<T>.ToDouble(CapOne(Elements<Scalar<T>, T, T>.LoadOne(in x, (nuint)local))) : 0;
        double targetWeight = !found ? 0 : Weight != null ? Floats<T>.ToDouble(Weight[target]) : 1;
        ref T e = ref store ? ref Unsafe.AsRef<T>(Gradient + (row * Stride)) : ref Unsafe.NullRef<T>();
        var stats = moment
            ? shifted ? Sums<TOps, TV, TCap, TWeights, On, On>(in x, ref e, cap, weights, store, twoPass) : Sums<TOps, TV, TCap, TWeights, On, Off>(in x, ref e, cap, weights, store, twoPass)
            : shifted ? Sums<TOps, TV, TCap, TWeights, Off, On>(in x, ref e, cap, weights, store, twoPass) : Sums<TOps, TV, TCap, TWeights, Off, Off>(in x, ref e, cap, weights, store, twoPass);
        VocabularyPartial.Write(ref destination, Floats<T>.ToDouble(stats.Shift), Floats<T>.ToDouble(stats.SumOfExp), Floats<T>.ToDouble(stats.Moment),
            Floats<T>.ToDouble(stats.Shifted), SliceWeightSum, targetLogit, targetWeight, target, Width, found, false,
            (store ? VocabularyPartial.PartialMarks.ExpsStored | VocabularyPartial.PartialMarks.MaskedLogits : 0) | (moment ? 0 : VocabularyPartial.PartialMarks.WithoutMoment)
            | (shifted ? 0 : VocabularyPartial.PartialMarks.WithoutShiftedSum));
    }

    /// <summary>
    /// Storing the exps needs the final shift first (a max pass; for 16-bit logits it also leaves them widened in the
    /// gradient row, for the statistics pass to read). A row with a gradient takes the two passes even when it cannot
    /// store (in place with a cap or an entropy term, or a Half gradient), so that in place and apart agree to the bit.
    /// Otherwise the statistics take one pass.
    /// </summary>
    private SliceStatistics<T> Sums<TOps, TV, TCap, TWeights, TMoment, TShifted>(ref readonly TIn x, ref T e, TCap cap, TWeights weights, bool store, bool twoPass)
        where TOps : ISimd<TV, T>
        where TV : struct
        where TCap : struct, ISoftCap<TV>
        where TWeights : struct, IColumnWeights<TV>
        where TMoment : struct, ISwitch
        where TShifted : struct, ISwitch =>
        // With a cap, no online pass: its tanh, its exp and the rise's exp in one loop exceed the JIT's inlining budget, and
        // the max pass before the two-pass statistics needs no tanh (the cap of the max).
        !twoPass && !TCap.IsActive ? VocabularySliceRow<TOps, TV, T>.OnlineStatistics<TIn, TCap, TWeights, TMoment, TShifted>(in x, Width, cap, weights)
        : !store ? VocabularySliceRow<TOps, TV, T>.Statistics<TIn, TCap, TWeights, TMoment, TShifted, Off>(in x, ref e, Width, cap, weights,
            VocabularySliceRow<TOps, TV, T>.Shift<TIn, TCap, Off>(in x, ref e, Width, cap))
        : typeof(TIn) == typeof(T)
            ? VocabularySliceRow<TOps, TV, T>.Statistics<TIn, TCap, TWeights, TMoment, TShifted, On>(in x, ref e, Width, cap, weights,
                VocabularySliceRow<TOps, TV, T>.Shift<TIn, TCap, Off>(in x, ref e, Width, cap))
            : VocabularySliceRow<TOps, TV, T>.Statistics<T, TCap, TWeights, TMoment, TShifted, On>(in e, ref e, Width, cap, weights,
                VocabularySliceRow<TOps, TV, T>.Shift<TIn, TCap, On>(in x, ref e, Width, cap));

    /// <summary>The capped value of one logit (the vector formula on one lane, so that it equals the row pass's).</summary>
    private T CapOne(T x) => T.IsFinite(SoftCap) ? new TanhCap<Scalar<T>, T, T>(SoftCap).Apply(x) : x;

    private T CrossEntropyRow<TOps, TV, TCap, TWeights>(ref readonly TIn x, int row, in VocabularyPartial p, TCap cap, TWeights weights, bool stored,
        double ratio = 1)
        where TOps : ISimd<TV, T>
        where TV : struct
        where TCap : struct, ISoftCap<TV>
        where TWeights : struct, IColumnWeights<TV>
    {
        // A slice's backward (partials given) discards the row values: no loss (and its log) per row and slice.
        double loss = Partials != null && Gradient != null ? 0 : SliceLoss.Row(in p, Keep, Uniform, ZCoefficient);
        if (Gradient == null)
        {
            return Floats<T>.FromDouble(loss);
        }
        ref TOut g = ref Unsafe.AsRef<TOut>(Gradient + (row * Stride));
        if (p.Ignored)
        {
            new Span<TOut>(Unsafe.AsPointer(ref g), Width).Clear();
            return T.Zero;
        }
        SliceScales.CrossEntropy(in p, Keep, Uniform, ZCoefficient, GradientScale, ratio, out double a, out double s, out double b);
        T shift = Floats<T>.FromDouble(p.Max), scale = Floats<T>.FromDouble(s), offset = Floats<T>.FromDouble(b);
        T derivative = TargetDerivative(in x, in p);
        // Without smoothing (b = 0) the term −offset·w is left out, so that an infinite class weight gives 0, not 0·∞.
        if (b != 0)
        {
            WriteGradient<TOps, TV, TCap, TWeights, CrossEntropyTerm>(in x, ref g, stored, cap, weights, shift, scale, T.Zero, offset);
        }
        else
        {
            WriteGradient<TOps, TV, TCap, TWeights, ScaleTerm>(in x, ref g, stored, cap, weights, shift, scale, T.Zero, T.Zero);
        }
        AddAtTarget(ref g, in p, -a, derivative);
        return Floats<T>.FromDouble(loss);
    }

    private T TokenRow<TOps, TV, TCap>(ref readonly TIn x, int row, in VocabularyPartial p, TCap cap, bool stored, double ratio = 1)
        where TOps : ISimd<TV, T>
        where TV : struct
        where TCap : struct, ISoftCap<TV>
    {
        var (logProbability, entropy) = SliceLoss.Token(in p);
        if (Entropy != null)
        {
            Entropy[row] = Floats<T>.FromDouble(entropy);
        }
        if (Gradient == null || StoreExps)
        {
            return Floats<T>.FromDouble(logProbability);
        }
        ref TOut g = ref Unsafe.AsRef<TOut>(Gradient + (row * Stride));
        if (p.Ignored)
        {
            new Span<TOut>(Unsafe.AsPointer(ref g), Width).Clear();
            return T.Zero;
        }
        double alpha = LogProbabilityGradient != null ? Floats<T>.ToDouble(LogProbabilityGradient[row]) : 0;
        double beta = EntropyGradient != null ? Floats<T>.ToDouble(EntropyGradient[row]) : 0;
        SliceScales.Token(in p, alpha, beta, ratio, out double s, out double sd);
        T shift = Floats<T>.FromDouble(p.Max), scale = Floats<T>.FromDouble(s), entropyScale = Floats<T>.FromDouble(sd);
        T derivative = TargetDerivative(in x, in p);
        if (beta != 0)
        {
            WriteGradient<TOps, TV, TCap, NoWeights<TV>, EntropyTerm>(in x, ref g, stored, cap, default, shift, scale, entropyScale, T.Zero);
        }
        else
        {
            WriteGradient<TOps, TV, TCap, NoWeights<TV>, ScaleTerm>(in x, ref g, stored, cap, default, shift, scale, T.Zero, T.Zero);
        }
        AddAtTarget(ref g, in p, alpha, derivative);
        return Floats<T>.FromDouble(logProbability);
    }

    /// <summary>A row's gradient pass with the terms <typeparamref name="TTerm"/>: the exps stored in g rescaled (<paramref name="stored"/>), or computed from x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void WriteGradient<TOps, TV, TCap, TWeights, TTerm>(ref readonly TIn x, ref TOut g, bool stored, TCap cap, TWeights weights,
        T shift, T scale, T entropyScale, T offset)
        where TOps : ISimd<TV, T>
        where TV : struct
        where TCap : struct, ISoftCap<TV>
        where TWeights : struct, IColumnWeights<TV>
        where TTerm : struct, IGradientTerm
    {
        if (stored)
        {
            VocabularySliceRow<TOps, TV, T>.Rescale<TIn, TCap, TWeights, TTerm>(in x, ref Unsafe.As<TOut, T>(ref g), Width, cap, weights,
                shift, scale, entropyScale, offset);
        }
        else
        {
            VocabularySliceRow<TOps, TV, T>.Gradient<TIn, TOut, TCap, TWeights, TTerm>(in x, ref g, Width, cap, weights, shift, scale, entropyScale, offset);
        }
    }

    /// <summary>
    /// cap′(x_t) = 1 − tanh²(x_t/c) of the target's logit when it is in the slice and capped (1 otherwise), read before the
    /// row pass (which may write over the logits) and computed as the pass computes it on its lane — the same bits — so
    /// that the target's two terms, the pass's cap′·s·e_t and <see cref="AddAtTarget"/>'s cap′·amount, share one cap′ and
    /// cancel as they should when p_t → 1 (with two roundings of cap′ — 1 − tanh² has an absolute error of an ulp of 1 —
    /// a confident soft-capped token's gradient was off by about that ulp times the scale).
    /// </summary>
    private T TargetDerivative(ref readonly TIn x, in VocabularyPartial p)
    {
        long local = p.Target - Offset;
        if (!T.IsFinite(SoftCap) || (ulong)local >= (ulong)Width)
        {
            return T.One;
        }
        new TanhCap<Scalar<T>, T, T>(SoftCap).Apply(Elements<Scalar<T>, T, T>.LoadOne(in x, (nuint)local), out T derivative);
        return derivative;
    }

    /// <summary>g[t] += amount·<paramref name="derivative"/> (cap′(x_t), <see cref="TargetDerivative"/>) when the target is in the slice, after the row pass.</summary>
    private void AddAtTarget(ref TOut g, in VocabularyPartial p, double amount, T derivative)
    {
        long local = p.Target - Offset;
        if ((ulong)local >= (ulong)Width)
        {
            return;
        }
        if (T.IsFinite(SoftCap))
        {
            amount *= Floats<T>.ToDouble(derivative);
        }
        ref TOut slot = ref Unsafe.Add(ref g, (nint)local);
        T value = Elements<Scalar<T>, T, T>.LoadOne(in slot, 0) + Floats<T>.FromDouble(amount);
        Elements<Scalar<T>, T, T>.Store(value, ref slot, 0);
    }
}

/// <summary>
/// The common case of <see cref="VocabularySliceOp{T, TIn, TOut}"/>'s storing forward and stored backward — logits and
/// gradient of T, no soft-cap, no class weights, no smoothing sum, a slice at least one 64-byte vector wide — with the
/// passes of the fused one-shot cross-entropy row (<see cref="Rows{TOps, TV, T}.ShiftMax"/>, then
/// <see cref="VocabularySliceRow{TOps, TV, T}.ExpSum{TMoment, TFloor, TNext}"/> storing the exps with MapSum's blocks, then
/// <see cref="VocabularySliceRow{TOps, TV, T}.Rescale"/> rescaling them, each prefetching the next row's slice) and no
/// per-row dispatch. One driver row is a group of <see cref="GroupRows"/> rows, so that the
/// backward's per-row ratios exp(m − M) are taken in one vector (<see cref="RowScalars"/>). Both the in-place and the apart
/// forms go through here, so that they agree to the bit; the partials, losses and gradients are those of the general op
/// within a few ulp (the same formulas; Σe summed in longer blocks).
/// </summary>
[SkipLocalsInit]
internal readonly unsafe struct SliceRowsOp<T, TIn, TOut> : IRowOp<T>
    where T : unmanaged, IFloatingPointIeee754<T>
    where TIn : unmanaged
    where TOut : unmanaged
{
    /// <summary>Rows per driver row: the ratios of a group are four vectors of doubles on AVX-512.</summary>
    public const int GroupRows = RowScalars.Count;

    /// <summary>The general op this one stands for: its pointers and options (logits and gradient of T). A field: no copy per read.</summary>
    private readonly VocabularySliceOp<T, TIn, TOut> _op;
    private readonly int _rows;

    /// <summary>Forward of token log-probabilities: log p_t out (the general op's row values); null otherwise.</summary>
    private readonly T* _logProbabilities;

    /// <summary>The op for <paramref name="op"/> over <paramref name="rows"/> rows (a <see cref="Takes"/> case), for callers that run its rows themselves (<see cref="SliceGroupOp{T}"/>).</summary>
    public SliceRowsOp(in VocabularySliceOp<T, TIn, TOut> op, int rows, T* logProbabilities)
    {
        _op = op;
        _rows = rows;
        _logProbabilities = logProbabilities;
        _ahead = AheadOf(in op);
    }

    /// <summary>
    /// Elements from a row of <paramref name="op"/>'s slice to the next one's — prefetched, and its max taken, while the row
    /// is done — for a row of up to 16 KB (a longer one would be evicted before its turn); 0 for none.
    /// </summary>
    public static nint AheadOf(in VocabularySliceOp<T, TIn, TOut> op) => (long)op.Width * Unsafe.SizeOf<T>() <= 16384 ? op.Stride : 0;

    /// <summary>The general op this one stands for (a copy).</summary>
    public VocabularySliceOp<T, TIn, TOut> Op => _op;

    private T* Logits => (T*)_op.Logits;
    private T* Gradient => (T*)_op.Gradient;
    private int Width => _op.Width;
    private nint Stride => _op.Stride;

    /// <summary><see cref="AheadOf"/> of this op's slice.</summary>
    private nint Ahead => _ahead;

    /// <summary><see cref="Ahead"/>, set once (a field read: the property's computation was not inlined into the row code).</summary>
    private readonly nint _ahead;

    /// <summary>Whether a slice of <paramref name="width"/> columns can take this op (every vector width fits in a row).</summary>
    public static bool Fits(int width) => (long)width * Unsafe.SizeOf<T>() >= 64;

    /// <summary>
    /// Runs <paramref name="op"/> through this op when it is the common case (see the type), over groups of rows; false (and
    /// nothing done) otherwise. <paramref name="logProbabilities"/>: where a token forward's row values go (null otherwise).
    /// </summary>
    public static bool TryRun(in VocabularySliceOp<T, TIn, TOut> op, int rows, T* logProbabilities, int maxDegreeOfParallelism)
    {
        if (!Takes(in op))
        {
            return false;
        }
        bool token = op.Mode == SliceMode.Token;
        var common = new SliceRowsOp<T, TIn, TOut>(in op, rows, token ? logProbabilities : null);
        int groups = (rows + GroupRows - 1) / GroupRows;
        int length = (int)Math.Min((long)op.Width * GroupRows, int.MaxValue);
        RowDriver.Run<T, SliceRowsOp<T, TIn, TOut>>(in common, groups, length, null, maxDegreeOfParallelism);
        return true;
    }

    /// <summary>
    /// Whether <paramref name="op"/> is the common case this op runs: logits and gradient of T, no cap, no weights, a slice
    /// that <see cref="Fits"/>, and either the storing forward (StoreExps: the partials, the exps, token outputs; for
    /// statistics without the smoothing sum) or a backward from stored exps.
    /// </summary>
    public static bool Takes(in VocabularySliceOp<T, TIn, TOut> op) =>
        typeof(TIn) == typeof(T) && typeof(TOut) == typeof(T) && !T.IsFinite(op.SoftCap) && op.Weight == null && Fits(op.Width)
        && (op.StoreExps
            ? op.Mode == SliceMode.Token || (op.Mode == SliceMode.Statistics && op.WithoutShiftedSum)
            : op.SlicePartials != null && op.Mode != SliceMode.Statistics);

    public T Row<TOps, TV>(int group)
        where TOps : ISimd<TV, T>
        where TV : struct
    {
        int first = group * GroupRows;
        int end = Math.Min(_rows, first + GroupRows);
        if (_op.StoreExps)
        {
            ForwardRows<TOps, TV>(first, end);
            if (_logProbabilities != null)
            {
                TokenOutputs(first, end);
            }
        }
        else
        {
            Backward<TOps, TV>(first, end);
        }
        return T.Zero;
    }

    /// <summary>
    /// The storing forward of rows [<paramref name="first"/>, <paramref name="end"/>) (at most <see cref="GroupRows"/>): a short
    /// slice without the moment in one call (<see cref="ForwardShort"/>), otherwise row by row with each row's max carried
    /// from the previous row's pass. Token outputs are not written here (<see cref="TokenOutputs"/>).
    /// </summary>
    public void ForwardRows<TOps, TV>(int first, int end)
        where TOps : ISimd<TV, T>
        where TV : struct
    {
        if (_logProbabilities == null && _op.Mode != SliceMode.Token && _op.WithoutMoment
            && VocabularySliceRow<TOps, TV, T>.ShortSlice(Width) && Ahead != 0)
        {
            ForwardShort<TOps, TV>(first, end);
            return;
        }
        RowMax carried = default;
        for (int row = first; row < end; row++)
        {
            ForwardRow<TOps, TV>(row, ref carried, hasNext: row + 1 < end);
        }
    }

    /// <summary>The storing forward of one row: its partial (with the moment unless left out), its exps, and for ignored token rows their outputs.</summary>
    public void ForwardRow<TOps, TV>(int row)
        where TOps : ISimd<TV, T>
        where TV : struct
    {
        RowMax none = default;
        ForwardRow<TOps, TV>(row, ref none, hasNext: false);
    }

    /// <summary>
    /// <see cref="ForwardRow{TOps, TV}(int)"/> with the row's max carried from the previous row's pass (when known), and,
    /// when <paramref name="hasNext"/> and the next row is near enough to be prefetched, the next row's max taken in this
    /// row's exp pass and left in <paramref name="carried"/>: one pass over each row instead of two.
    /// </summary>
    public void ForwardRow<TOps, TV>(int row, ref RowMax carried, bool hasNext)
        where TOps : ISimd<TV, T>
        where TV : struct
    {
        if (_op.Mode == SliceMode.Token || !_op.WithoutMoment)
        {
            Forward<TOps, TV, On>(row, ref carried, hasNext);
        }
        else
        {
            Forward<TOps, TV, Off>(row, ref carried, hasNext);
        }
    }

    /// <summary>A row's max carried from the previous row's exp pass to its own forward.</summary>
    public struct RowMax
    {
        public bool Known;
        public T Value;
    }

    /// <summary>
    /// The storing forward without the moment of rows [<paramref name="first"/>, <paramref name="end"/>) of a short slice
    /// (<see cref="VocabularySliceRow{TOps, TV, T}.ShortSlice"/>): bitwise <see cref="Forward{TOps, TV, TMoment}"/> row by row,
    /// with the exp passes of the whole group in one call (<see cref="VocabularySliceRow{TOps, TV, T}.ShiftExpSumRows"/>).
    /// </summary>
    private void ForwardShort<TOps, TV>(int first, int end)
        where TOps : ISimd<TV, T>
        where TV : struct
    {
        Span<T> shifts = stackalloc T[GroupRows];
        Span<T> sums = stackalloc T[GroupRows];
        Span<double> targetLogits = stackalloc double[GroupRows];
        uint skip = 0;
        for (int row = first; row < end; row++)
        {
            int k = row - first;
            long target = _op.Targets32 != null ? _op.Targets32[row] : _op.Targets64[row];
            if (target == _op.IgnoreIndex)
            {
                VocabularyPartial.Write(ref _op.Partials[row], 0, 0, 0, 0, 0, 0, 0, target, Width, false, true);
                skip |= 1u << k;
                continue;
            }
            // Read before the exps may be stored over the logits.
            long local = target - _op.Offset;
            targetLogits[k] = (ulong)local < (ulong)Width ? Floats<T>.ToDouble(Logits[(row * Stride) + local]) : 0;
        }
        VocabularySliceRow<TOps, TV, T>.ShiftExpSumRows(in Unsafe.AsRef<T>(Logits + (first * Stride)), ref Unsafe.AsRef<T>(Gradient + (first * Stride)),
            Stride, Width, end - first, skip, ref shifts[0], ref sums[0]);
        for (int row = first; row < end; row++)
        {
            int k = row - first;
            if (((skip >> k) & 1) != 0)
            {
                continue;
            }
            long target = _op.Targets32 != null ? _op.Targets32[row] : _op.Targets64[row];
            bool found = (ulong)(target - _op.Offset) < (ulong)Width;
            T max = shifts[k];
            T sum = sums[k];
            if (T.IsNaN(sum) && max != T.PositiveInfinity)
            {
                max = T.NaN;
            }
            VocabularyPartial.Write(ref _op.Partials[row], Floats<T>.ToDouble(max), Floats<T>.ToDouble(sum), 0, 0, Width,
                targetLogits[k], found ? 1 : 0, target, Width, found, false,
                VocabularyPartial.PartialMarks.ExpsStored | VocabularyPartial.PartialMarks.WithoutShiftedSum | VocabularyPartial.PartialMarks.WithoutMoment);
        }
    }

    private void Forward<TOps, TV, TMoment>(int row, ref RowMax carried, bool hasNext)
        where TOps : ISimd<TV, T>
        where TV : struct
        where TMoment : struct, ISwitch
    {
        long target = _op.Targets32 != null ? _op.Targets32[row] : _op.Targets64[row];
        ref VocabularyPartial partial = ref _op.Partials[row];
        bool known = carried.Known;
        carried.Known = false;
        if (target == _op.IgnoreIndex)
        {
            VocabularyPartial.Write(ref partial, 0, 0, 0, 0, 0, 0, 0, target, Width, false, true);
            if (_logProbabilities != null)
            {
                _logProbabilities[row] = T.Zero;
                if (_op.Entropy != null)
                {
                    _op.Entropy[row] = T.Zero;
                }
            }
            return;
        }
        ref T x = ref Unsafe.AsRef<T>(Logits + (row * Stride));
        ref T e = ref Unsafe.AsRef<T>(Gradient + (row * Stride));
        long local = target - _op.Offset;
        bool found = (ulong)local < (ulong)Width;

        // Read before the exps may be stored over the logits.
        double targetLogit = found ? Floats<T>.ToDouble(Unsafe.Add(ref x, (nint)local)) : 0;

        // The max without a NaN test (one operation per vector); only a +∞ maximum needs the exact pass first (exp(∞ − ∞)
        // is NaN: the sum cannot tell it from a NaN logit). Below +∞, a NaN sum means a NaN logit: the max is then NaN.
        T max = known ? carried.Value : Rows<TOps, TV, T>.ShiftMax(in x, Width);
        if (max == T.PositiveInfinity)
        {
            max = VocabularySliceRow<TOps, TV, T>.Shift<T, NoCap<TV>, Off>(in x, ref Unsafe.NullRef<T>(), Width, default);
        }
        max = T.Max(max, FloatLimits<T>.MinValue);
        bool next = hasNext && Ahead != 0;
        // The moment without its floor, unless in place (then the logits are gone after the pass): a NaN moment beside a
        // number sum means a −∞ logit (0·−∞); the floored moment is then summed again from the stored exps, and the
        // partial marked, so that the entropy's gradient floors too (in place it is refused).
        T moment;
        T sum;
        bool masked = false;
        ref T nextMax = ref carried.Value;
        if (!TMoment.IsOn)
        {
            sum = next ? VocabularySliceRow<TOps, TV, T>.ExpSum<Off, Off, On>(in x, ref e, Width, max, Ahead, out moment, ref nextMax)
                : VocabularySliceRow<TOps, TV, T>.ExpSum<Off, Off, Off>(in x, ref e, Width, max, Ahead, out moment, ref nextMax);
        }
        else if (Unsafe.AreSame(ref x, ref e))
        {
            // In place the next row's logits are still logits (this pass stores into this row only).
            sum = next ? VocabularySliceRow<TOps, TV, T>.ExpSum<On, On, On>(in x, ref e, Width, max, Ahead, out moment, ref nextMax)
                : VocabularySliceRow<TOps, TV, T>.ExpSum<On, On, Off>(in x, ref e, Width, max, Ahead, out moment, ref nextMax);
            masked = true;
        }
        else
        {
            sum = next ? VocabularySliceRow<TOps, TV, T>.ExpSum<On, Off, On>(in x, ref e, Width, max, Ahead, out moment, ref nextMax)
                : VocabularySliceRow<TOps, TV, T>.ExpSum<On, Off, Off>(in x, ref e, Width, max, Ahead, out moment, ref nextMax);
            if (T.IsNaN(moment) && !T.IsNaN(sum))
            {
                moment = VocabularySliceRow<TOps, TV, T>.Moment(in x, in e, Width, max);
                masked = true;
            }
        }
        carried.Known = next;
        if (T.IsNaN(sum) && max != T.PositiveInfinity)
        {
            max = T.NaN;
        }
        VocabularyPartial.Write(ref partial, Floats<T>.ToDouble(max), Floats<T>.ToDouble(sum), Floats<T>.ToDouble(moment), 0, Width,
            targetLogit, found ? 1 : 0, target, Width, found, false,
            VocabularyPartial.PartialMarks.ExpsStored | VocabularyPartial.PartialMarks.WithoutShiftedSum
            | (TMoment.IsOn ? 0 : VocabularyPartial.PartialMarks.WithoutMoment) | (masked ? VocabularyPartial.PartialMarks.MaskedLogits : 0));
    }

    /// <summary>
    /// The group's log-probabilities and entropies from its partials, as <see cref="SliceLoss.Token"/> with the logs of a
    /// group taken in one vector (<see cref="RowScalars"/>); ignored rows were written by the row pass.
    /// </summary>
    private void TokenOutputs(int first, int end)
    {
        Span<double> logs = stackalloc double[GroupRows];
        for (int k = 0; k < GroupRows; k++)
        {
            int row = first + k;
            logs[k] = row < end && !_op.Partials[row].Ignored ? _op.Partials[row].SumOfExp : 1;
        }
        RowScalars.LogInPlace(logs);
        for (int row = first; row < end; row++)
        {
            if (!_op.Partials[row].Ignored)
            {
                TokenOutput(row, logs[row - first]);
            }
        }
    }

    /// <summary>Row <paramref name="row"/>'s log-probability and entropy (when asked for) from its partial and log S.</summary>
    private void TokenOutput(int row, double logSum)
    {
        ref readonly VocabularyPartial p = ref _op.Partials[row];
        _logProbabilities[row] = Floats<T>.FromDouble((p.TargetLogit - p.Max) - logSum);
        if (_op.Entropy != null)
        {
            _op.Entropy[row] = Floats<T>.FromDouble(logSum - (p.ExpMoment / p.SumOfExp));
        }
    }

    /// <summary>
    /// The fused token row (<see cref="TokenObjectiveOp{T, TObjective}"/>): the storing forward of row <paramref name="row"/>,
    /// its outputs, <paramref name="objective"/>'s α and β, then its backward while the row is in cache — bitwise the
    /// two-call storing form (the log of one row is the group's vector log on one lane; the ratio exp(0) is 1).
    /// <see cref="VocabularySliceOp{T, TIn, TOut}.Partials"/> (and SlicePartials, the same) and <see cref="VocabularySliceOp{T, TIn, TOut}.Entropy"/> must point to storage for the row.
    /// </summary>
    public void ForwardBackward<TOps, TV, TObjective>(int row, in TObjective objective, ref RowMax carried, bool hasNext)
        where TOps : ISimd<TV, T>
        where TV : struct
        where TObjective : struct, ITokenObjective<T>
    {
        Forward<TOps, TV, On>(row, ref carried, hasNext);
        ref readonly VocabularyPartial p = ref _op.Partials[row];
        if (p.Ignored)
        {
            BackwardRow<TOps, TV>(row, default, default, 0, crossEntropyOffset: false, entropy: false);
            return;
        }
        TokenOutput(row, RowScalars.Log(p.SumOfExp));
        objective.Gradients(row, _logProbabilities[row], _op.Entropy[row], out T alpha, out T beta);
        double a = Floats<T>.ToDouble(alpha), b = Floats<T>.ToDouble(beta);
        SliceScales.Token(in p, a, b, 1, out double scale, out double second);
        BackwardRow<TOps, TV>(row, Floats<T>.FromDouble(scale), Floats<T>.FromDouble(second), a, crossEntropyOffset: false, entropy: b != 0);
    }

    /// <summary>The stored backward of rows [<paramref name="first"/>, <paramref name="end"/>), at most <see cref="GroupRows"/> of them.</summary>
    public void Backward<TOps, TV>(int first, int end)
        where TOps : ISimd<TV, T>
        where TV : struct
    {
        // The group's ratios exp(m_slice − M) in one vector (0 for ignored rows and past the end: exp(0) = 1, unused), then
        // every row's scales before any pass, so that their divisions and the partials' loads overlap the passes instead of
        // leading each one.
        Span<double> ratios = stackalloc double[GroupRows];
        for (int k = 0; k < GroupRows; k++)
        {
            int row = first + k;
            ratios[k] = row < end && !_op.Partials[row].Ignored ? _op.SlicePartials[row].Max - _op.Partials[row].Max : 0;
        }
        RowScalars.ExpInPlace(ratios, end - first);
        Span<T> scales = stackalloc T[GroupRows];
        Span<T> seconds = stackalloc T[GroupRows];
        Span<double> atTargets = stackalloc double[GroupRows];
        bool crossEntropy = _op.Mode == SliceMode.CrossEntropy;
        bool offset = false, entropy = false, ignored = false;
        for (int row = first; row < end; row++)
        {
            ref readonly VocabularyPartial p = ref _op.Partials[row];
            if (p.Ignored)
            {
                ignored = true;
                continue;
            }
            int k = row - first;
            double scale, second;
            if (crossEntropy)
            {
                SliceScales.CrossEntropy(in p, _op.Keep, _op.Uniform, _op.ZCoefficient, _op.GradientScale, ratios[k], out double a, out scale, out second);
                atTargets[k] = -a;
                offset |= second != 0;
            }
            else
            {
                double alpha = _op.LogProbabilityGradient != null ? Floats<T>.ToDouble(_op.LogProbabilityGradient[row]) : 0;
                double beta = _op.EntropyGradient != null ? Floats<T>.ToDouble(_op.EntropyGradient[row]) : 0;
                SliceScales.Token(in p, alpha, beta, ratios[k], out scale, out second);
                atTargets[k] = alpha;
                entropy |= beta != 0;
            }
            scales[k] = Floats<T>.FromDouble(scale);
            seconds[k] = Floats<T>.FromDouble(second);
        }
        if (!ignored && !(crossEntropy ? offset : entropy) && Ahead != 0)
        {
            // The common case on a slice of up to 16 KB a row: every row rescaled by its scale alone, in one call, then the
            // targets' corrections. (Longer rows gain nothing from it and prefetch nothing; the entropy's term done the same
            // way measured slower than row by row, on 1000-column rows.)
            VocabularySliceRow<TOps, TV, T>.ScaleRows(ref Unsafe.AsRef<T>(Gradient + (first * Stride)), Stride, Width, in scales[0], end - first);
            for (int row = first; row < end; row++)
            {
                long local = _op.Partials[row].Target - _op.Offset;
                if ((ulong)local < (ulong)Width)
                {
                    Unsafe.AsRef<T>(Gradient + (row * Stride) + local) += Floats<T>.FromDouble(atTargets[row - first]);
                }
            }
            return;
        }
        for (int row = first; row < end; row++)
        {
            int k = row - first;
            BackwardRow<TOps, TV>(row, scales[k], seconds[k], atTargets[k], crossEntropy && offset, !crossEntropy && entropy);
        }
    }

    /// <summary>
    /// The stored backward of row <paramref name="row"/> given its scales (see <see cref="SliceScales"/>): the exps rescaled
    /// with the terms asked for (cross-entropy's smoothing offset, or the entropy's term), then the target's correction; an
    /// ignored row is cleared.
    /// </summary>
    private void BackwardRow<TOps, TV>(int row, T scale, T second, double atTarget, bool crossEntropyOffset, bool entropy)
        where TOps : ISimd<TV, T>
        where TV : struct
    {
        ref readonly VocabularyPartial p = ref _op.Partials[row];
        ref T g = ref Unsafe.AsRef<T>(Gradient + (row * Stride));
        if (p.Ignored)
        {
            new Span<T>(Unsafe.AsPointer(ref g), Width).Clear();
            return;
        }
        if (crossEntropyOffset)
        {
            VocabularySliceRow<TOps, TV, T>.Rescale<T, NoCap<TV>, NoWeights<TV>, CrossEntropyTerm>(in g, ref g, Width, default, default,
                T.Zero, scale, T.Zero, second, Ahead);
        }
        else if (entropy)
        {
            // A slice whose forward saw no −∞ logit needs no floor under d (its e·d is never 0·∞).
            ref T x = ref Unsafe.AsRef<T>(Logits + (row * Stride));
            T shift = Floats<T>.FromDouble(p.Max);
            if (_op.SlicePartials[row].MaskedLogits)
            {
                VocabularySliceRow<TOps, TV, T>.Rescale<T, NoCap<TV>, NoWeights<TV>, EntropyTerm>(in x, ref g, Width, default, default,
                    shift, scale, second, T.Zero, Ahead);
            }
            else
            {
                VocabularySliceRow<TOps, TV, T>.Rescale<T, NoCap<TV>, NoWeights<TV>, UnflooredEntropyTerm>(in x, ref g, Width, default, default,
                    shift, scale, second, T.Zero, Ahead);
            }
        }
        else
        {
            VocabularySliceRow<TOps, TV, T>.Rescale<T, NoCap<TV>, NoWeights<TV>, ScaleTerm>(in g, ref g, Width, default, default,
                T.Zero, scale, T.Zero, T.Zero, Ahead);
        }
        long local = p.Target - _op.Offset;
        if ((ulong)local < (ulong)Width)
        {
            Unsafe.Add(ref g, (nint)local) += Floats<T>.FromDouble(atTarget);
        }
    }
}

/// <summary>The per-row scales of the slice gradients, shared by the general and the common-case ops (so that they agree to the bit).</summary>
internal static class SliceScales
{
    /// <summary>
    /// Cross-entropy: g = s·e − b·w − a·[j = t] from exps e relative to the slice's max (<paramref name="ratio"/> = exp(m − M),
    /// 1 when the exps are relative to M): <paramref name="a"/> = (1 − ε)·w_t·r, <paramref name="b"/> = (ε/C)·r,
    /// <paramref name="s"/> = (a + b·W + 2λ·log Z·r)·ratio/S. log S only with a z-loss.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void CrossEntropy(in VocabularyPartial p, double keep, double uniform, double zCoefficient, double gradientScale, double ratio,
        out double a, out double s, out double b)
    {
        double logSum = zCoefficient != 0 ? Math.Log(p.SumOfExp) : 0;
        a = keep * p.TargetWeight * gradientScale;
        b = uniform * gradientScale;

        // The z-loss's gradient 2λ·log Z·softmax is one more share of the softmax scale.
        // Without smoothing b = 0 and its weighted share is skipped, so that an infinite class weight gives 0, not 0·∞.
        s = (a + (b != 0 ? b * p.WeightSum : 0) + (zCoefficient != 0 ? 2 * zCoefficient * (p.Max + logSum) * gradientScale : 0)) * ratio / p.SumOfExp;
    }

    /// <summary>
    /// Token log-probabilities: ∂(α·log p_t + β·H)/∂x̃_j = α·[j = t] − p_j·(α + β·H + β·log p_j), and with
    /// log p_j = d_j − log S, H = log S − E/S: p_j·(…) = e_j·(ratio/S)·(α − β·E/S + β·d_j), d_j = x̃_j − M. So
    /// g_j = e_j·(s + sd·d_j) + α·[j = t] with s = (β·E/S − α)·ratio/S and sd = −β·ratio/S: no log S, and no β·H − β·log S
    /// cancellation. Without β, E is not read (s = −α·ratio/S).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Token(in VocabularyPartial p, double alpha, double beta, double ratio, out double s, out double sd)
    {
        double r = ratio / p.SumOfExp;
        s = beta != 0 ? ((beta * (p.ExpMoment / p.SumOfExp)) - alpha) * r : -alpha * r;
        sd = -beta * r;
    }
}

/// <summary>
/// Per-row scalars of a group of rows in double with the library's exp and log (≤ 1 ulp): exp of non-positive values (the
/// ratios exp(m − M) of partials) and log (of Σe), one at a time or <see cref="Count"/> at once — bitwise the same either
/// way (<see cref="VectorMath{TOps, TV, T}"/> is), so that grouping rows never changes a bit. exp(0) = 1, exp(−∞) = 0,
/// log(1) = 0, log(0) = −∞, NaN → NaN.
/// </summary>
internal static class RowScalars
{
    /// <summary>Values per <see cref="ExpInPlace(Span{double})"/> and <see cref="LogInPlace"/>: four vectors of 8 on AVX-512, whose latencies overlap.</summary>
    public const int Count = 32;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Exp(double x) => VectorMath<Scalar<double>, double, double>.ExpNonPositive(x);

    /// <summary>log x, bitwise <see cref="LogInPlace"/>'s value for x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Log(double x) => VectorMath<Scalar<double>, double, double>.Log(x);

    /// <summary>x[k] = exp(x[k]) for the <see cref="Count"/> values (≤ 0, −∞ or NaN) of <paramref name="x"/>.</summary>
    public static void ExpInPlace(Span<double> x) => InPlace<ExpOf>(x);

    /// <summary>x[k] = log(x[k]) for the <see cref="Count"/> values of <paramref name="x"/>.</summary>
    public static void LogInPlace(Span<double> x) => InPlace<LogOf>(x);

    private interface IFunction
    {
        static abstract TV Of<TOps, TV>(TV x)
            where TOps : ISimd<TV, double>
            where TV : struct;
    }

    private readonly struct ExpOf : IFunction
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TV Of<TOps, TV>(TV x)
            where TOps : ISimd<TV, double>
            where TV : struct => VectorMath<TOps, TV, double>.ExpNonPositive(x);
    }

    private readonly struct LogOf : IFunction
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TV Of<TOps, TV>(TV x)
            where TOps : ISimd<TV, double>
            where TV : struct => VectorMath<TOps, TV, double>.Log(x);
    }

    /// <summary>x[k] = exp(x[k]) for the first <paramref name="count"/> (≤ <see cref="Count"/>) values, a vector at a time (the rest of the vector too, up to Count).</summary>
    public static void ExpInPlace(Span<double> x, int count) => InPlace<ExpOf>(x, (nuint)count);

    private static void InPlace<TFunction>(Span<double> x, nuint count = Count)
        where TFunction : struct, IFunction
    {
        ref double first = ref x[Count - 1];
        first = ref x[0];
        if (V512<double>.IsAccelerated)
        {
            for (nuint k = 0; k < count; k += 8)
            {
                V512<double>.Store(TFunction.Of<V512<double>, Vector512<double>>(V512<double>.Load(in first, k)), ref first, k);
            }
        }
        else if (V256<double>.IsAccelerated)
        {
            for (nuint k = 0; k < count; k += 4)
            {
                V256<double>.Store(TFunction.Of<V256<double>, Vector256<double>>(V256<double>.Load(in first, k)), ref first, k);
            }
        }
        else
        {
            for (nuint k = 0; k < count; k++)
            {
                Unsafe.Add(ref first, k) = TFunction.Of<Scalar<double>, double>(Unsafe.Add(ref first, k));
            }
        }
    }
}

/// <summary>Per-row values from a complete partial (every column covered).</summary>
internal static class SliceLoss
{
    /// <summary>
    /// The row's cross-entropy (weighted, smoothed) plus <paramref name="zCoefficient"/>·(log Z)²; 0 for an ignored row.
    /// With Mean the caller passes λ·D/N, so that the driver's total / D is Σ ℓ / D + λ·Σ (log Z)² / N.
    /// </summary>
    public static double Row(in VocabularyPartial p, double keep, double uniform, double zCoefficient) =>
        p.Ignored ? 0 : Row(in p, keep, uniform, zCoefficient, Math.Log(p.SumOfExp));

    /// <summary><see cref="Row(in VocabularyPartial, double, double, double)"/> given log S (for a batch that takes its logs a vector at a time).</summary>
    public static double Row(in VocabularyPartial p, double keep, double uniform, double zCoefficient, double logSum)
    {
        if (p.Ignored)
        {
            return 0;
        }
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
