using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace Losses.Kernels;

/// <summary>An elementwise operation on one input vector, with its parameters held in the struct.</summary>
internal interface IUnaryOp<TV>
{
    TV Invoke(TV x);
}

/// <summary>An elementwise operation on two input vectors.</summary>
internal interface IBinaryOp<TV>
{
    TV Invoke(TV a, TV b);
}

/// <summary>
/// A reduction over one or two rows. <see cref="Step"/> sees full vectors; <see cref="StepTail"/> sees the last,
/// overlapping vector once, with a mask of the lanes not yet seen (the others must contribute nothing).
/// </summary>
internal interface IReducer<TV>
{
    void Step(TV a, TV b);

    void StepTail(TV a, TV b, TV keep);
}

/// <summary>The row loops every public function is built from. Rows are at least one vector long (see <see cref="Dispatch"/>).</summary>
internal static partial class Rows<TOps, TV, T>
    where TOps : ISimd<TV, T>
    where TV : struct
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>
    /// The one masked-tail rule: a row's last vector is loaded at <paramref name="start"/> = length − Count, overlapping
    /// what the full vectors before it saw (up to <paramref name="seen"/>); the mask keeps the lanes not yet seen.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV TailMask(nuint seen, nuint start) => TOps.GreaterThanOrEqual(TOps.Indices, TOps.Create(T.CreateTruncating(seen - start)));

    /// <summary>Feeds a row to <paramref name="reducer"/>: full vectors, then the last vector overlapped and masked.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Reduce<TReducer>(ref readonly T a, ref readonly T b, int length, ref TReducer reducer)
        where TReducer : struct, IReducer<TV>
    {
        nuint count = (nuint)TOps.Count;
        nuint n = (nuint)length;
        nuint i = 0;
        for (; i + count <= n; i += count)
        {
            reducer.Step(TOps.Load(in a, i), TOps.Load(in b, i));
        }
        if (i < n)
        {
            nuint start = n - count;
            TV keep = TailMask(i, start);
            reducer.StepTail(TOps.Load(in a, start), TOps.Load(in b, start), keep);
        }
    }

    /// <summary>
    /// destination[i] = op(source[i]). The last vector is loaded before anything is stored, so destination may be the
    /// source itself.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static void Map<TOp>(ref readonly T source, ref T destination, int length, TOp op)
        where TOp : struct, IUnaryOp<TV>
    {
        nuint count = (nuint)TOps.Count;
        nuint last = (nuint)length - count;
        TV lastValue = TOps.Load(in source, last);
        for (nuint i = 0; i < last; i += count)
        {
            TOps.Store(op.Invoke(TOps.Load(in source, i)), ref destination, i);
        }
        TOps.Store(op.Invoke(lastValue), ref destination, last);
    }

    /// <summary>destination[i] = op(a[i], b[i]); destination may be a or b itself.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static void Map<TOp>(ref readonly T a, ref readonly T b, ref T destination, int length, TOp op)
        where TOp : struct, IBinaryOp<TV>
    {
        nuint count = (nuint)TOps.Count;
        nuint last = (nuint)length - count;
        TV lastA = TOps.Load(in a, last);
        TV lastB = TOps.Load(in b, last);
        for (nuint i = 0; i < last; i += count)
        {
            TOps.Store(op.Invoke(TOps.Load(in a, i), TOps.Load(in b, i)), ref destination, i);
        }
        TOps.Store(op.Invoke(lastA, lastB), ref destination, last);
    }

    /// <summary>
    /// destination[i] = op(source[i]) and returns Σ op(source[i]) (without drift), in one pass, for values in [0, 1]
    /// (softmax numerators), which are summed in float in blocks of <see cref="UnitBlockSteps"/> vectors. The last vector
    /// is loaded first and summed masked, so destination may be the source itself. With <paramref name="prefetchNextRow"/>
    /// and a row of up to PrefetchMaxAhead elements, each step also prefetches the source one row ahead (the next row of
    /// a batch, for its maximum pass; x86 only; past the end of a batch a prefetch is harmless).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T MapSum<TOp>(ref readonly T source, ref T destination, int length, TOp op, bool prefetchNextRow = false)
        where TOp : struct, IUnaryOp<TV>
        => prefetchNextRow && length <= PrefetchMaxAhead
            ? MapSum<TOp, On>(in source, ref destination, length, op)
            : MapSum<TOp, Off>(in source, ref destination, length, op);

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static unsafe T MapSum<TOp, TPrefetch>(ref readonly T source, ref T destination, int length, TOp op)
        where TOp : struct, IUnaryOp<TV>
        where TPrefetch : struct, ISwitch
    {
        nuint count = (nuint)TOps.Count;
        nuint n = (nuint)length;
        nuint last = n - count;
        TV lastValue = TOps.Load(in source, last);
        TV block = default;
        TV high = default;
        TV low = default;
        int steps = 0;
        nuint i = 0;
        for (; i + count <= n; i += count)
        {
            if (TPrefetch.IsOn && Sse.IsSupported)
            {
                Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref Unsafe.AsRef(in source), n + i)));
            }
            TV value = op.Invoke(TOps.Load(in source, i));
            TOps.Store(value, ref destination, i);
            block = TOps.Add(block, value);
            if (++steps == UnitBlockSteps)
            {
                high = LaneSum<TOps, TV, T>.FlushInto(high, ref low, block);
                block = default;
                steps = 0;
            }
        }
        if (i < n)
        {
            TV value = op.Invoke(lastValue);
            TOps.Store(value, ref destination, last);
            TV keep = TailMask(i, last);
            block = TOps.Add(block, TOps.Select(keep, value, default));
        }
        high = LaneSum<TOps, TV, T>.FlushInto(high, ref low, block);
        return TOps.Sum(high) + TOps.Sum(low);
    }

    /// <summary>max xᵢ; NaN if any xᵢ is NaN; −∞ for a row of −∞.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static T Max(ref readonly T x, int length)
    {
        var reducer = new MaxReducer(TOps.Create(T.NegativeInfinity));
        Reduce(in x, in x, length, ref reducer);
        return reducer.Result();
    }

    /// <summary>
    /// max xᵢ for a row without NaN; for a row with a NaN some value of the row (which lane a NaN wins is left to the
    /// hardware). For shifts x − max whose NaN shows up anyway (softmax and cross-entropy: exp(NaN − max) makes the sum
    /// NaN), two operations per vector cheaper than <see cref="Max"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static T ShiftMax(ref readonly T x, int length)
    {
        nuint count = (nuint)TOps.Count;
        nuint n = (nuint)length;

        // The last vector overlaps the full ones; a maximum may count an element twice.
        return TOps.MaxAcross(LaneMax(in x, n, TOps.Load(in x, n - count)));
    }

    /// <summary>
    /// Per lane, the maximum of <paramref name="start"/> and the full vectors of x[0..end), in four chains so that the
    /// loop runs at the speed of its loads rather than of the latency of one chain of maxima.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV LaneMax(ref readonly T x, nuint end, TV start)
    {
        nuint count = (nuint)TOps.Count;
        TV a = start;
        TV b = start;
        TV c = start;
        TV d = start;
        nuint i = 0;
        for (; i + (4 * count) <= end; i += 4 * count)
        {
            a = TOps.MaxFast(a, TOps.Load(in x, i));
            b = TOps.MaxFast(b, TOps.Load(in x, i + count));
            c = TOps.MaxFast(c, TOps.Load(in x, i + (2 * count)));
            d = TOps.MaxFast(d, TOps.Load(in x, i + (3 * count)));
        }
        for (; i + count <= end; i += count)
        {
            a = TOps.MaxFast(a, TOps.Load(in x, i));
        }
        return TOps.MaxFast(TOps.MaxFast(a, b), TOps.MaxFast(c, d));
    }

    /// <summary>Σ op(aᵢ, bᵢ), without drift: any elementwise term turned into a sum (the last vector masked).</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static T SumOf<TOp>(ref readonly T a, ref readonly T b, int length, TOp op)
        where TOp : struct, IBinaryOp<TV>
    {
        var reducer = new TermSum<TOp>(op);
        Reduce(in a, in b, length, ref reducer);
        return reducer.Sum.Total();
    }

    private struct TermSum<TOp>(TOp op) : IReducer<TV>
        where TOp : struct, IBinaryOp<TV>
    {
        private readonly TOp _op = op;
        public LaneSum<TOps, TV, T> Sum;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Step(TV a, TV b) => Sum.Add(_op.Invoke(a, b));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void StepTail(TV a, TV b, TV keep) => Sum.Add(TOps.Select(keep, _op.Invoke(a, b), default));
    }

    /// <summary>Σ xᵢ, without drift (see <see cref="LaneSum{TOps, TV, T}"/>).</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static T Sum(ref readonly T x, int length)
    {
        var reducer = new SumReducer();
        Reduce(in x, in x, length, ref reducer);
        return reducer.Sum.Total();
    }

    /// <summary>Σ aᵢ·bᵢ, without drift.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static T Dot(ref readonly T a, ref readonly T b, int length)
    {
        var reducer = new DotReducer();
        Reduce(in a, in b, length, ref reducer);
        return reducer.Sum.Total();
    }

    /// <summary>
    /// The online normalizer of a row: its maximum M and Σ exp(xᵢ − M), in one pass. Per lane it keeps the running
    /// maximum m and Σ exp(x − m), rescaling the sum only when some lane's maximum rises (O(log n) times per lane for
    /// random data, and never within the first SeedLength elements, which seed it), so the cost is one exp per element. The
    /// maximum is floored at the most negative finite value rather than −∞ so that masked (−∞) entries give exp(−∞) = 0,
    /// never exp(−∞ + ∞) = NaN. The last, overlapping vector goes
    /// through the same loop body with its already-seen lanes set to −∞, so the exp is inlined once.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static SoftmaxNormalizer<T> Normalizer(ref readonly T x, int length)
    {
        if (length <= 2 * TOps.Count)
        {
            return ShortNormalizer(in x, length, out _, out _);
        }
        nuint n = (nuint)length;
        if (n <= SeedLength)
        {
            return SeededNormalizer(in x, n);
        }

        // The per-lane sum is LaneSum's (a block of UnitBlockSteps vectors, flushed with TwoSum into high + low),
        // kept in locals rather than in a LaneSum: a struct of three Vector512 is not promoted to registers, and its
        // block then makes a store-to-load round trip per vector on the loop's critical path. The first SeedLength
        // elements (all of a shorter row) cannot raise the seeded maximum and are summed without the rise test.
        (TV max, TV high, TV low) = SeededSum(in x, n);
        TV block = default;
        int steps = 0;

        // For the same reason the rare rescale goes through the loop's one exp rather than a call (no vector register
        // survives a call, so anything live across one is kept in memory). In a vector that raises some lanes' maximum
        // m to m' = x, each lane needs one exp: the rescale factor exp(m − x) where x rises, its term exp(x − m)
        // where it does not, both exp(−|x − m|). The rising lanes' own term exp(x − m') is 1 (NaN for x = +∞).
        TV one = TOps.Create(T.One);
        nuint i = SeedLength;
        while (NextOrTail(in x, ref i, n, n, out TV v))
        {
            TV d = TOps.Subtract(v, max);
            bool rises = TOps.AnyGreaterThan(v, max);
            TV e = VectorMath<TOps, TV, T>.ExpTermFlushed(rises ? TOps.Subtract(default, TOps.Abs(d)) : d);
            if (rises)
            {
                TV newMax = TOps.MaxFast(max, v);
                TV up = TOps.LessThan(max, v);
                TV factor = TOps.Select(up, e, one);
                TV term = TOps.Select(up, TOps.Add(one, TOps.Subtract(v, newMax)), e);
                block = TOps.Add(TOps.Multiply(block, factor), term);
                high = TOps.Multiply(high, factor);
                low = TOps.Multiply(low, factor);
                max = newMax;
            }
            else
            {
                block = TOps.Add(block, e);
            }
            if (++steps == UnitBlockSteps)
            {
                high = LaneSum<TOps, TV, T>.FlushInto(high, ref low, block);
                block = default;
                steps = 0;
            }
        }
        high = LaneSum<TOps, TV, T>.FlushInto(high, ref low, block);
        return Combine(max, high, low);
    }

    /// <summary>
    /// The head of the normalizer's loops: the next full vector of x[i..end) or, once, the last vector of x[0..tailEnd)
    /// with the lanes already seen set to −∞ (so the tail goes through the loop body and its exp is inlined once);
    /// false when both are done.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool NextOrTail(ref readonly T x, ref nuint i, nuint end, nuint tailEnd, out TV v)
    {
        nuint count = (nuint)TOps.Count;
        if (i + count <= end)
        {
            v = TOps.Load(in x, i);
            i += count;
            return true;
        }
        if (i < tailEnd)
        {
            nuint start = tailEnd - count;
            v = TOps.Select(TailMask(i, start), TOps.Load(in x, start), TOps.Create(T.NegativeInfinity));
            i = tailEnd;
            return true;
        }
        v = default;
        return false;
    }

    /// <summary>
    /// The seed maximum M of each lane (<see cref="SeedMax"/>) and Σ exp(x − M) over the first SeedLength elements, or
    /// all of a shorter row (its last vector masked to the lanes not yet seen), as an unevaluated sum (high, low). Out
    /// of line and returning the maximum too, so that nothing the normalizer's loop keeps in registers is live across
    /// a call. The tail goes through the loop body once more, so the exp is inlined once.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static (TV Max, TV High, TV Low) SeededSum(ref readonly T x, nuint n) => SeededSumInline(in x, n, prefetchNext: false, broadcast: false);

    /// <summary>
    /// The normalizer of a row of at most SeedLength elements: the seeded sum with every lane shifted by the row maximum
    /// (the seed's lane maxima reduced once), so that the lanes add up with no rescaling exp, and nothing goes through
    /// memory or a call (about a tenth of the time of a 1000-element row was such per-row latency).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static SoftmaxNormalizer<T> SeededNormalizer(ref readonly T x, nuint n)
    {
        // Every lane shifts by the row maximum itself, so the lanes need no rescaling exp when they are combined.
        (TV max, TV high, TV low) = SeededSumInline(in x, n, prefetchNext: true, broadcast: true);
        T rowMax = TOps.GetElement(max, 0);
        T sum = TOps.Sum(high) + TOps.Sum(low);
        return sum == T.Zero && rowMax == FloatLimits<T>.MinValue
            ? new SoftmaxNormalizer<T>(T.NegativeInfinity, T.Zero)
            : new SoftmaxNormalizer<T>(rowMax, sum);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe (TV Max, TV High, TV Low) SeededSumInline(ref readonly T x, nuint n, bool prefetchNext, bool broadcast)
    {
        nuint count = (nuint)TOps.Count;
        TV max = SeedMax(in x, n);
        max = broadcast ? TOps.Create(TOps.MaxAcross(max)) : max;
        nuint end = Math.Min(n, SeedLength);
        nuint tailEnd = n <= SeedLength ? n : 0;
        TV block = default;
        TV high = default;
        TV low = default;
        int steps = 0;
        nuint i = 0;
        while (NextOrTail(in x, ref i, end, tailEnd, out TV v))
        {
            if (prefetchNext && Sse.IsSupported)
            {
                // The same offset in the next row (as MapSum's prefetchNextRow), so that its maximum pass reads from L1.
                Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref Unsafe.AsRef(in x), n + i - count)));
            }
            block = TOps.Add(block, VectorMath<TOps, TV, T>.ExpTermFlushed(TOps.Subtract(v, max)));
            if (++steps == UnitBlockSteps)
            {
                high = LaneSum<TOps, TV, T>.FlushInto(high, ref low, block);
                block = default;
                steps = 0;
            }
        }
        high = LaneSum<TOps, TV, T>.FlushInto(high, ref low, block);
        return (max, high, low);
    }

    /// <summary>
    /// The normalizer of a row of Count to 2·Count elements, held in two (overlapping) vectors with no loop; also returns
    /// exp(x − M) of both vectors (the sum counts the overlapping lanes once).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static SoftmaxNormalizer<T> ShortNormalizer(ref readonly T x, int length, out TV firstExp, out TV lastExp)
    {
        int count = TOps.Count;
        TV first = TOps.Load(in x, 0);
        TV last = TOps.Load(in x, (nuint)(length - count));
        TV keep = TailMask((nuint)count, (nuint)(length - count));

        // Floored at MinValue so that a fully masked row gives exp(−∞ − MinValue) = 0, not NaN.
        T max = T.Max(TOps.MaxAcross(TOps.MaxFast(first, last)), FloatLimits<T>.MinValue);
        TV shift = TOps.Create(max);
        firstExp = VectorMath<TOps, TV, T>.Exp(TOps.Subtract(first, shift));
        lastExp = VectorMath<TOps, TV, T>.Exp(TOps.Subtract(last, shift));
        T sum = TOps.Sum(TOps.Add(firstExp, TOps.Select(keep, lastExp, default)));
        return sum == T.Zero && max == FloatLimits<T>.MinValue
            ? new SoftmaxNormalizer<T>(T.NegativeInfinity, T.Zero)
            : new SoftmaxNormalizer<T>(max, sum);
    }

    /// <summary>softmax of a row of Count to 2·Count elements: two vectors, one exp each, no loop; in place allowed.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static void ShortSoftmax(ref readonly T x, ref T y, int length)
    {
        var normalizer = ShortNormalizer(in x, length, out TV firstExp, out TV lastExp);
        TV scale = TOps.Create(T.One / normalizer.SumOfExp);
        TOps.Store(TOps.Multiply(firstExp, scale), ref y, 0);
        TOps.Store(TOps.Multiply(lastExp, scale), ref y, (nuint)(length - TOps.Count));
    }

    /// <summary>
    /// Per lane, the maximum of the first <see cref="SeedLength"/> elements (all of a shorter row, the overlapping last
    /// vector included), as the online normalizer's starting maximum: a row that fits never rescales and a longer one
    /// rarely does. Never below MinValue, so that −∞ entries cannot produce −∞ − (−∞).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV SeedMax(ref readonly T x, nuint n)
    {
        nuint count = (nuint)TOps.Count;
        TV seed = TOps.MaxFast(TOps.Load(in x, n <= SeedLength ? n - count : 0), TOps.Create(FloatLimits<T>.MinValue));
        return LaneMax(in x, Math.Min(n, SeedLength), seed);
    }

    private const int SeedLength = 2048;

    /// <summary>
    /// The longest row whose next row <see cref="MapSum{TOp}"/> prefetches (elements): a next row of up to 16 KB (float) is still in L1 or L2
    /// when its turn comes; a longer one would be evicted before use and only cost bandwidth.
    /// </summary>
    private const int PrefetchMaxAhead = 4096;

    /// <summary>
    /// Vectors summed in float between two flushes of a sum of terms in [0, 1] (the normalizer's, softmax numerators):
    /// more than LaneSum's, since every term is in [0, 1] (a block's rounding error stays below 32 ulp of the block, a few ulp in practice, and a flush costs 17
    /// operations).
    /// </summary>
    private const int UnitBlockSteps = 32;

    /// <summary>exp for the rare paths, kept out of line so the hot loop's exp is the only inlined copy.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static TV ExpOutOfLine(TV x) => VectorMath<TOps, TV, T>.Exp(x);

    /// <summary>Combines per-lane (max, high + low) into the row's normalizer; a row with no entry above −∞ gives (−∞, 0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static SoftmaxNormalizer<T> Combine(TV laneMax, TV high, TV low, bool inline = false)
    {
        // A NaN in the row makes the sum NaN, so it does not matter whether the maximum saw it. exp(m − M) is 0 for
        // lanes that saw only −∞ (m = MinValue) and 1 for the lane holding M.
        T max = TOps.MaxAcross(laneMax);
        TV shifted = TOps.Subtract(laneMax, TOps.Create(max));
        TV factor = inline ? VectorMath<TOps, TV, T>.Exp(shifted) : ExpOutOfLine(shifted);
        T sum = TOps.Sum(TOps.Multiply(high, factor)) + TOps.Sum(TOps.Multiply(low, factor));
        return sum == T.Zero && max == FloatLimits<T>.MinValue
            ? new SoftmaxNormalizer<T>(T.NegativeInfinity, T.Zero)
            : new SoftmaxNormalizer<T>(max, sum);
    }

    private struct SumReducer : IReducer<TV>
    {
        public LaneSum<TOps, TV, T> Sum;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Step(TV a, TV b) => Sum.Add(a);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void StepTail(TV a, TV b, TV keep) => Sum.Add(TOps.Select(keep, a, default));
    }

    private struct DotReducer : IReducer<TV>
    {
        public LaneSum<TOps, TV, T> Sum;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Step(TV a, TV b) => Sum.Add(TOps.Multiply(a, b));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void StepTail(TV a, TV b, TV keep) => Sum.Add(TOps.Select(keep, TOps.Multiply(a, b), default));
    }

    private struct MaxReducer(TV initial) : IReducer<TV>
    {
        private TV _max = initial;
        private TV _nan = default;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Step(TV a, TV b)
        {
            _max = TOps.MaxFast(_max, a);
            _nan = TOps.Or(_nan, VectorMath<TOps, TV, T>.IsNaN(a));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void StepTail(TV a, TV b, TV keep) => Step(TOps.Select(keep, a, TOps.Create(T.NegativeInfinity)), b);

        public T Result()
        {
            T max = T.NegativeInfinity;
            for (int lane = 0; lane < TOps.Count; lane++)
            {
                if (T.IsNaN(TOps.GetElement(_nan, lane)))
                {
                    return T.NaN;
                }
                T value = TOps.GetElement(_max, lane);
                max = value > max ? value : max;
            }
            return max;
        }
    }
}
