using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

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

/// <summary>
/// A batched kernel: <see cref="Run{TOps, TV}"/> holds the loop over rows, written once against <see cref="ISimd{TV, T}"/>;
/// <see cref="Dispatch"/> picks the width.
/// </summary>
internal interface IRowKernel<T, TArgs>
    where T : unmanaged, IFloatingPointIeee754<T>
    where TArgs : allows ref struct
{
    static abstract void Run<TOps, TV>(scoped ref TArgs args)
        where TOps : ISimd<TV, T>
        where TV : struct;
}

/// <summary>Picks the widest accelerated vector no longer than a row, once per call.</summary>
internal static class Dispatch
{
    /// <summary>Runs <typeparamref name="TKernel"/> with the widest accelerated vector of at most <paramref name="rowLength"/> lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Run<T, TKernel, TArgs>(int rowLength, scoped ref TArgs args)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TKernel : IRowKernel<T, TArgs>
        where TArgs : allows ref struct
    {
        if (V512<T>.IsAccelerated && rowLength >= Vector512<T>.Count)
        {
            TKernel.Run<V512<T>, Vector512<T>>(ref args);
        }
        else if (V256<T>.IsAccelerated && rowLength >= Vector256<T>.Count)
        {
            TKernel.Run<V256<T>, Vector256<T>>(ref args);
        }
        else if (V128<T>.IsAccelerated && rowLength >= Vector128<T>.Count)
        {
            TKernel.Run<V128<T>, Vector128<T>>(ref args);
        }
        else
        {
            TKernel.Run<Scalar<T>, T>(ref args);
        }
    }
}

/// <summary>
/// Per-lane sum that does not drift: lanes add into a short block, and every <see cref="BlockSteps"/> steps the block
/// is added into a running total kept as an unevaluated pair (high, low) with TwoSum, i.e. in about twice the
/// precision of <typeparamref name="T"/>; the lanes are finally summed pairwise. The error of a sum of n terms is then
/// that of the short blocks, a few ulp whatever n (measured: 16M × 0.1f within 1 ulp, where TensorPrimitives.Sum is 1%
/// off), for about one extra operation per step.
/// </summary>
internal struct LaneSum<TOps, TV, T>
    where TOps : ISimd<TV, T>
    where TV : struct
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private const int BlockSteps = 8;
    private TV _block;
    private TV _high;
    private TV _low;
    private int _steps;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Add(TV value)
    {
        _block = TOps.Add(_block, value);
        if (++_steps == BlockSteps)
        {
            Flush();
        }
    }

    /// <summary>Multiplies everything summed so far by <paramref name="factor"/> (the online normalizer's rescale).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Scale(TV factor)
    {
        _block = TOps.Multiply(_block, factor);
        _high = TOps.Multiply(_high, factor);
        _low = TOps.Multiply(_low, factor);
    }

    /// <summary>
    /// The running per-lane sum as one vector (total + block + compensation), for corrections that need the value
    /// mid-stream, e.g. when an online maximum moves and a term proportional to the sum must be added.
    /// </summary>
    public readonly TV Current
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => TOps.Add(TOps.Add(_high, _low), _block);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Flush()
    {
        // TwoSum: s + e = high + block exactly.
        TV s = TOps.Add(_high, _block);
        TV b = TOps.Subtract(s, _high);
        TV e = TOps.Add(TOps.Subtract(_high, TOps.Subtract(s, b)), TOps.Subtract(_block, b));

        // Renormalise so that low stays below half an ulp of high and never accumulates error of its own. Where s is
        // infinite the error terms are ∞ − ∞ = NaN: keep s and a zero low part there, so that sums with an infinite
        // term are infinite, not NaN.
        TV t = TOps.Add(_low, e);
        TV finite = TOps.LessThan(TOps.Abs(s), TOps.Create(T.PositiveInfinity));
        TV high = TOps.Add(s, t);
        _low = TOps.Select(finite, TOps.Subtract(t, TOps.Subtract(high, s)), default);
        _high = TOps.Select(finite, high, s);
        _block = default;
        _steps = 0;
    }

    /// <summary>Lane <paramref name="lane"/> of the sum, in double.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly double Lane(int lane) => LaneOf(this, lane);

    /// <summary>The sum of all lanes (combined in double).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly T Total() => TotalOf(this);

    /// <summary>Multiplies each lane by <paramref name="factor"/> and returns the sum of all lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly T ScaledTotal(TV factor) => ScaledTotalOf(this, factor);

    // By value, so that callers' accumulators stay in registers (an instance call would take their address).
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static double LaneOf(LaneSum<TOps, TV, T> sum, int lane)
    {
        sum.Flush();
        return double.CreateTruncating(TOps.GetElement(sum._high, lane)) + double.CreateTruncating(TOps.GetElement(sum._low, lane));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T TotalOf(LaneSum<TOps, TV, T> sum)
    {
        sum.Flush();
        return TOps.Sum(sum._high) + TOps.Sum(sum._low);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T ScaledTotalOf(LaneSum<TOps, TV, T> sum, TV factor)
    {
        sum.Flush();
        return TOps.Sum(TOps.Multiply(sum._high, factor)) + TOps.Sum(TOps.Multiply(sum._low, factor));
    }
}

/// <summary>The row loops every public function is built from. Rows are at least one vector long (see <see cref="Dispatch"/>).</summary>
internal static class Rows<TOps, TV, T>
    where TOps : ISimd<TV, T>
    where TV : struct
    where T : unmanaged, IFloatingPointIeee754<T>
{
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
            TV keep = TOps.GreaterThanOrEqual(TOps.Indices, TOps.Create(T.CreateTruncating(i - start)));
            reducer.StepTail(TOps.Load(in a, start), TOps.Load(in b, start), keep);
        }
    }

    /// <summary>
    /// destination[i] = op(source[i]). The last vector is loaded before anything is stored, so destination may be the
    /// source itself.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
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
    [MethodImpl(MethodImplOptions.NoInlining)]
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
    /// destination[i] = op(source[i]) and returns Σ op(source[i]) (without drift), in one pass. The last vector is
    /// loaded first and summed masked, so destination may be the source itself.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static T MapSum<TOp>(ref readonly T source, ref T destination, int length, TOp op)
        where TOp : struct, IUnaryOp<TV>
    {
        nuint count = (nuint)TOps.Count;
        nuint n = (nuint)length;
        nuint last = n - count;
        TV lastValue = TOps.Load(in source, last);
        var sum = new LaneSum<TOps, TV, T>();
        nuint i = 0;
        for (; i + count <= n; i += count)
        {
            TV value = op.Invoke(TOps.Load(in source, i));
            TOps.Store(value, ref destination, i);
            sum.Add(value);
        }
        if (i < n)
        {
            TV value = op.Invoke(lastValue);
            TOps.Store(value, ref destination, last);
            TV keep = TOps.GreaterThanOrEqual(TOps.Indices, TOps.Create(T.CreateTruncating(i - last)));
            sum.Add(TOps.Select(keep, value, default));
        }
        return sum.Total();
    }

    /// <summary>max xᵢ; NaN if any xᵢ is NaN; −∞ for a row of −∞.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static T Max(ref readonly T x, int length)
    {
        var reducer = new MaxReducer(TOps.Create(T.NegativeInfinity));
        Reduce(in x, in x, length, ref reducer);
        return reducer.Result();
    }

    /// <summary>Σ op(aᵢ, bᵢ), without drift: any elementwise term turned into a sum (the last vector masked).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
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
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static T Sum(ref readonly T x, int length)
    {
        var reducer = new SumReducer();
        Reduce(in x, in x, length, ref reducer);
        return reducer.Sum.Total();
    }

    /// <summary>Σ aᵢ·bᵢ, without drift.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static T Dot(ref readonly T a, ref readonly T b, int length)
    {
        var reducer = new DotReducer();
        Reduce(in a, in b, length, ref reducer);
        return reducer.Sum.Total();
    }

    /// <summary>
    /// The online normalizer of a row: its maximum M and Σ exp(xᵢ − M), in one pass. Per lane it keeps the running
    /// maximum m and Σ exp(x − m), rescaling the sum only when some lane's maximum rises (O(log n) times per lane for
    /// random data), so the cost is one exp per element. The maximum starts at the most negative finite value rather than
    /// −∞ so that masked (−∞) entries give exp(−∞) = 0, never exp(−∞ + ∞) = NaN. The last, overlapping vector goes
    /// through the same loop body with its already-seen lanes set to −∞, so the exp is inlined once.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static SoftmaxNormalizer<T> Normalizer(ref readonly T x, int length)
    {
        if (length <= 2 * TOps.Count)
        {
            return ShortNormalizer(in x, length, out _, out _);
        }
        nuint count = (nuint)TOps.Count;
        nuint n = (nuint)length;
        TV max = SeedMax(in x, n);
        var sum = new LaneSum<TOps, TV, T>();
        nuint i = 0;
        while (true)
        {
            TV v;
            if (i + count <= n)
            {
                v = TOps.Load(in x, i);
                i += count;
            }
            else if (i < n)
            {
                nuint start = n - count;
                TV keep = TOps.GreaterThanOrEqual(TOps.Indices, TOps.Create(T.CreateTruncating(i - start)));
                v = TOps.Select(keep, TOps.Load(in x, start), TOps.Create(T.NegativeInfinity));
                i = n;
            }
            else
            {
                break;
            }
            if (TOps.AnyGreaterThan(v, max))
            {
                TV newMax = TOps.MaxFast(max, v);
                sum.Scale(ExpOutOfLine(TOps.Subtract(max, newMax)));
                max = newMax;
            }
            sum.Add(VectorMath<TOps, TV, T>.Exp(TOps.Subtract(v, max)));
        }
        return Combine(max, sum);
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
        TV keep = TOps.GreaterThanOrEqual(TOps.Indices, TOps.Create(T.CreateTruncating(2 * count - length)));

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
    [MethodImpl(MethodImplOptions.NoInlining)]
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
        nuint end = Math.Min(n, SeedLength);
        TV seed = TOps.MaxFast(TOps.Load(in x, n <= SeedLength ? n - count : 0), TOps.Create(FloatLimits<T>.MinValue));
        for (nuint j = 0; j + count <= end; j += count)
        {
            seed = TOps.MaxFast(seed, TOps.Load(in x, j));
        }
        return seed;
    }

    private const int SeedLength = 2048;

    /// <summary>exp for the rare paths, kept out of line so the hot loop's exp is the only inlined copy.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static TV ExpOutOfLine(TV x) => VectorMath<TOps, TV, T>.Exp(x);

    /// <summary>Combines per-lane (max, sum) into the row's normalizer; a row with no entry above −∞ gives (−∞, 0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static SoftmaxNormalizer<T> Combine(TV laneMax, LaneSum<TOps, TV, T> laneSum)
    {
        // A NaN in the row makes the sum NaN, so it does not matter whether the maximum saw it.
        T max = TOps.MaxAcross(laneMax);
        if (max == FloatLimits<T>.MinValue && laneSum.Total() == T.Zero)
        {
            return new SoftmaxNormalizer<T>(T.NegativeInfinity, T.Zero);
        }
        // exp(m − M) is 0 for lanes that saw only −∞ (m = MinValue) and 1 for the lane holding M.
        T sum = laneSum.ScaledTotal(ExpOutOfLine(TOps.Subtract(laneMax, TOps.Create(max))));
        return new SoftmaxNormalizer<T>(max, sum);
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
