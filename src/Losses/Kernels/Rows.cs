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
/// is added into a running total with Neumaier compensation; lanes are finally combined in double. The error of a sum of
/// n terms is then about (BlockSteps + 2) ulp in the worst case, independent of n, at the cost of one plain add per step.
/// </summary>
internal struct LaneSum<TOps, TV, T>
    where TOps : ISimd<TV, T>
    where TV : struct
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private const int BlockSteps = 32;
    private TV _block;
    private TV _total;
    private TV _compensation;
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
        _total = TOps.Multiply(_total, factor);
        _compensation = TOps.Multiply(_compensation, factor);
    }

    /// <summary>
    /// The running per-lane sum as one vector (total + block + compensation), for corrections that need the value
    /// mid-stream, e.g. when an online maximum moves and a term proportional to the sum must be added.
    /// </summary>
    public readonly TV Current
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => TOps.Add(TOps.Add(_total, _compensation), _block);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Flush()
    {
        TV sum = TOps.Add(_total, _block);
        TV totalIsLarger = TOps.GreaterThanOrEqual(TOps.Abs(_total), TOps.Abs(_block));
        TV large = TOps.Select(totalIsLarger, _total, _block);
        TV small = TOps.Select(totalIsLarger, _block, _total);
        _compensation = TOps.Add(_compensation, TOps.Add(TOps.Subtract(large, sum), small));
        _total = sum;
        _block = default;
        _steps = 0;
    }

    /// <summary>Lane <paramref name="lane"/> of the sum, in double.</summary>
    public double Lane(int lane)
    {
        Flush();
        double total = double.CreateTruncating(TOps.GetElement(_total, lane));

        // An infinite total makes the compensation NaN (∞ − ∞); the total is then the answer.
        return double.IsInfinity(total) ? total : total + double.CreateTruncating(TOps.GetElement(_compensation, lane));
    }

    /// <summary>The sum of all lanes.</summary>
    public T Total()
    {
        // One flush, then the lanes read from memory (a vector's lanes are laid out as T[Count]); per-lane Lane() calls
        // flushed and extracted once per lane, which cost ~0.1 µs per row: noticeable on rows of a few hundred classes.
        // Same value as summing Lane(i).
        Flush();
        TV totalVector = _total;
        TV compensationVector = _compensation;
        ref T total = ref Unsafe.As<TV, T>(ref totalVector);
        ref T compensation = ref Unsafe.As<TV, T>(ref compensationVector);
        double sum = 0;
        for (int lane = 0; lane < TOps.Count; lane++)
        {
            double laneTotal = double.CreateTruncating(Unsafe.Add(ref total, lane));
            sum += double.IsInfinity(laneTotal) ? laneTotal : laneTotal + double.CreateTruncating(Unsafe.Add(ref compensation, lane));
        }
        return T.CreateTruncating(sum);
    }
}

/// <summary>The row loops every public function is built from. Rows are at least one vector long (see <see cref="Dispatch"/>).</summary>
internal static class Rows<TOps, TV, T>
    where TOps : ISimd<TV, T>
    where TV : struct
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>The most negative finite value: the online normalizer's starting maximum.</summary>
    private static T MinValue => typeof(T) == typeof(float) ? T.CreateTruncating(float.MinValue) : T.CreateTruncating(double.MinValue);

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
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
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
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
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
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
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
    public static T Max(ref readonly T x, int length)
    {
        var reducer = new MaxReducer(TOps.Create(T.NegativeInfinity));
        Reduce(in x, in x, length, ref reducer);
        return reducer.Result();
    }

    /// <summary>Σ xᵢ, without drift (see <see cref="LaneSum{TOps, TV, T}"/>).</summary>
    public static T Sum(ref readonly T x, int length)
    {
        var reducer = new SumReducer();
        Reduce(in x, in x, length, ref reducer);
        return reducer.Sum.Total();
    }

    /// <summary>Σ aᵢ·bᵢ, without drift.</summary>
    public static T Dot(ref readonly T a, ref readonly T b, int length)
    {
        var reducer = new DotReducer();
        Reduce(in a, in b, length, ref reducer);
        return reducer.Sum.Total();
    }

    /// <summary>The online normalizer of a row: its maximum M and Σ exp(xᵢ − M), in one pass.</summary>
    public static SoftmaxNormalizer<T> Normalizer(ref readonly T x, int length)
    {
        var reducer = new MaxSumExpReducer(TOps.Create(MinValue));
        Reduce(in x, in x, length, ref reducer);
        return reducer.Result();
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
            _nan = TOps.Or(_nan, TOps.Equal(TOps.Equal(a, a), default));
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

    /// <summary>
    /// Per lane: the running maximum m and Σ exp(x − m). The sum is rescaled only when some lane's maximum rises, which
    /// for a row of n random values happens O(log n) times per lane, so the cost is one exp per element. The maximum
    /// starts at MinValue rather than −∞ so that masked (−∞) entries give exp(−∞) = 0, never exp(−∞ + ∞) = NaN.
    /// </summary>
    internal struct MaxSumExpReducer(TV initialMax) : IReducer<TV>
    {
        private TV _max = initialMax;
        private LaneSum<TOps, TV, T> _sum;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Step(TV a, TV b)
        {
            if (TOps.AnyGreaterThan(a, _max))
            {
                TV newMax = TOps.MaxFast(_max, a);
                _sum.Scale(VectorMath<TOps, TV, T>.Exp(TOps.Subtract(_max, newMax)));
                _max = newMax;
            }
            _sum.Add(VectorMath<TOps, TV, T>.Exp(TOps.Subtract(a, _max)));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void StepTail(TV a, TV b, TV keep) => Step(TOps.Select(keep, a, TOps.Create(T.NegativeInfinity)), b);

        /// <summary>Combines the lanes; a row with no entry above −∞ gives (−∞, 0).</summary>
        public SoftmaxNormalizer<T> Result()
        {
            T max = MinValue;
            for (int lane = 0; lane < TOps.Count; lane++)
            {
                T laneMax = TOps.GetElement(_max, lane);
                max = laneMax > max || T.IsNaN(laneMax) ? laneMax : max;
            }
            double sum = 0;
            for (int lane = 0; lane < TOps.Count; lane++)
            {
                double laneSum = _sum.Lane(lane);
                if (laneSum != 0 || double.IsNaN(laneSum))
                {
                    sum += laneSum * Math.Exp(double.CreateTruncating(TOps.GetElement(_max, lane)) - double.CreateTruncating(max));
                }
            }
            return max == MinValue && sum == 0
                ? new SoftmaxNormalizer<T>(T.NegativeInfinity, T.Zero)
                : new SoftmaxNormalizer<T>(max, T.CreateTruncating(sum));
        }
    }
}
