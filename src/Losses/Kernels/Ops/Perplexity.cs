using System.Numerics;
using System.Runtime.CompilerServices;

namespace Losses.Kernels;

/// <summary>
/// The figures of each token of one model (<see cref="PerplexityAccumulator"/>), written to <see cref="Figures"/>; logits
/// read as <typeparamref name="T"/>, Half or bfloat16 (<typeparamref name="TIn"/>, widened in the loads). Per row: a seed
/// pass for the per-lane maxima of the first <see cref="EvaluationRows{TOps, TV, T}.SeedLength"/> elements, then one online
/// pass (<see cref="TokenTerms{TOps, TV, T, TFull}"/>, one exp per element) for the normalizer and, unless
/// <see cref="LossOnly"/>, the entropy and the rank of the target. The row value is the loss.
/// </summary>
internal readonly unsafe struct PerplexityOp<T, TIn> : IRowOp<T>
    where T : unmanaged, IFloatingPointIeee754<T>
    where TIn : unmanaged
{
    public TIn* Logits { get; init; }
    public TokenTargets Targets { get; init; }
    public int ClassCount { get; init; }
    public bool LossOnly { get; init; }
    public TokenFigures* Figures { get; init; }

    public T Row<TOps, TV>(int row)
        where TOps : ISimd<TV, T>
        where TV : struct
    {
        long t = Targets[row];
        if (t == Targets.IgnoreIndex)
        {
            Figures[row] = new TokenFigures { Target = -1 };
            return T.Zero;
        }
        ref TIn x = ref Batch<TIn>.Row(Logits, row, ClassCount);
        Figures[row] = LossOnly ? Token<TOps, TV, Off>(in x, ClassCount, (int)t) : Token<TOps, TV, On>(in x, ClassCount, (int)t);
        return T.CreateTruncating(Figures[row].Loss);
    }

    // Not inlined into the driver's loop over rows: the JIT would run out of inlining budget and call the exp polynomial.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static TokenFigures Token<TOps, TV, TFull>(ref readonly TIn x, int c, int t)
        where TOps : ISimd<TV, T>
        where TV : struct
        where TFull : struct, ISwitch
    {
        var seed = new SeedMax<TOps, TV, T>();
        EvaluationRows<TOps, TV, T>.Reduce(in x, in x, EvaluationRows<TOps, TV, T>.SeedSpan(c), ref seed);
        T atTarget = Elements<TOps, TV, T>.LoadOne(in x, (nuint)t);
        var terms = new TokenTerms<TOps, TV, T, TFull>(seed.Max, atTarget);
        EvaluationRows<TOps, TV, T>.Reduce(in x, in x, c, ref terms);
        var (max, sum, entropy) = terms.Result();
        long rank = 0;
        if (TFull.IsOn)
        {
            rank = terms.Greater;
            if (terms.Equal > 1)
            {
                // Other logits tie with the target's: those before it rank above it (a stable descending sort).
                var ties = new TiesBefore<TOps, TV, T>(atTarget, t);
                EvaluationRows<TOps, TV, T>.Reduce(in x, in x, Math.Max(t, TOps.Count), ref ties);
                rank += ties.Count;
            }
        }
        return new TokenFigures
        {
            Loss = (max - double.CreateTruncating(atTarget)) + Math.Log(sum),
            Entropy = entropy,
            Rank = rank,
            Target = t,
        };
    }
}

/// <summary>Per-lane maxima of a row (the seed of an online pass), floored at the most negative finite value so that −∞ entries give e^−∞ = 0.</summary>
internal struct SeedMax<TOps, TV, T>() : IReducer<TV>
    where TOps : ISimd<TV, T>
    where TV : struct
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public TV Max = TOps.Create(FloatLimits<T>.MinValue);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Step(TV a, TV b) => Max = TOps.MaxFast(Max, a);

    /// <summary>The overlapped lanes hold elements already seen: the maximum is idempotent.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void StepTail(TV a, TV b, TV keep) => Step(a, b);
}

/// <summary>
/// The online pass of one row: per lane the running maximum m (seeded), S = Σ e^(x−m) and, when <typeparamref name="TFull"/>
/// is on, W = Σ e^(x−m)·(x − M₀) with M₀ the seed's row maximum, and the counts of logits above and equal to the target's.
/// A lane whose maximum rises rescales S and W by e^(m_old − m_new) (rare after the seed). Then, with M the row maximum and the
/// lanes combined, log-sum-exp = M + log S and the entropy H = log S − W/S − (M₀ − M): two non-negative terms when M = M₀
/// (W ≤ 0), so no cancellation even for logits of ±1e4 (as <see cref="DistributionTerms{TOps, TV, T}.EntropyOfLogits"/>).
/// </summary>
internal struct TokenTerms<TOps, TV, T, TFull> : IReducer<TV>
    where TOps : ISimd<TV, T>
    where TV : struct
    where T : unmanaged, IFloatingPointIeee754<T>
    where TFull : struct, ISwitch
{
    private TV _max;
    private readonly T _seedMax;
    private readonly TV _seed;
    private readonly TV _target;
    private readonly TV _one = TOps.Create(T.One);
    private LaneSum<TOps, TV, T> _sum;
    private LaneSum<TOps, TV, T> _weighted;
    private TV _greater;
    private TV _equal;

    public TokenTerms(TV seed, T atTarget)
    {
        _max = seed;
        _seedMax = TOps.MaxAcross(seed);
        _seed = TOps.Create(_seedMax);
        _target = TOps.Create(atTarget);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Step(TV x, TV b)
    {
        Add(x);
        if (TFull.IsOn)
        {
            _greater = TOps.Add(_greater, TOps.And(TOps.LessThan(_target, x), _one));
            _equal = TOps.Add(_equal, TOps.And(TOps.Equal(x, _target), _one));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void StepTail(TV x, TV b, TV keep)
    {
        // Lanes already seen: −∞ in the sums (e^−∞ = 0, W's term dropped where e = 0), left out of the counts.
        Add(TOps.Select(keep, x, TOps.Create(T.NegativeInfinity)));
        if (TFull.IsOn)
        {
            TV one = TOps.And(keep, _one);
            _greater = TOps.Add(_greater, TOps.And(TOps.LessThan(_target, x), one));
            _equal = TOps.Add(_equal, TOps.And(TOps.Equal(x, _target), one));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Add(TV x)
    {
        if (TOps.AnyGreaterThan(x, _max))
        {
            TV max = TOps.MaxFast(_max, x);
            TV scale = Rows<TOps, TV, T>.ExpOutOfLine(TOps.Subtract(_max, max));
            _sum.Scale(scale);
            _weighted.Scale(scale);
            _max = max;
        }
        TV e = VectorMath<TOps, TV, T>.Exp(TOps.Subtract(x, _max));
        _sum.Add(e);
        if (TFull.IsOn)
        {
            _weighted.Add(DistributionTerms<TOps, TV, T>.Weighted(e, TOps.Subtract(x, _seed)));
        }
    }

    /// <summary>#{x &gt; x_t}.</summary>
    public readonly long Greater => long.CreateTruncating(TOps.Sum(_greater));

    /// <summary>#{x = x_t}, the target included.</summary>
    public readonly long Equal => long.CreateTruncating(TOps.Sum(_equal));

    /// <summary>The row maximum M, S = Σ e^(x−M) and the entropy in nats (0 unless <typeparamref name="TFull"/>), in double.</summary>
    public readonly (double Max, double Sum, double Entropy) Result()
    {
        T max = TOps.MaxAcross(_max);
        TV scale = Rows<TOps, TV, T>.ExpOutOfLine(TOps.Subtract(_max, TOps.Create(max)));
        double sum = double.CreateTruncating(_sum.ScaledTotal(scale));
        double m = double.CreateTruncating(max);
        double entropy = TFull.IsOn
            ? Math.Log(sum) - (double.CreateTruncating(_weighted.ScaledTotal(scale)) / sum) - (double.CreateTruncating(_seedMax) - m)
            : 0;
        return (m, sum, entropy);
    }
}

/// <summary>The number of logits equal to the target's at an index below the target's (ties that rank above it).</summary>
internal struct TiesBefore<TOps, TV, T>(T atTarget, int target) : IReducer<TV>
    where TOps : ISimd<TV, T>
    where TV : struct
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly TV _target = TOps.Create(atTarget);
    private readonly TV _limit = TOps.Create(T.CreateTruncating(target));
    private readonly TV _step = TOps.Create(T.CreateTruncating(TOps.Count));
    private readonly TV _one = TOps.Create(T.One);
    private TV _index = TOps.Indices;
    private TV _count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Step(TV a, TV b)
    {
        Tally(a, TOps.LessThan(_index, _limit));
        _index = TOps.Add(_index, _step);
    }

    /// <summary>The overlapped lanes are masked out; the last vector's indices are recomputed from the limit (the reduced length is max(t, Count)).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void StepTail(TV a, TV b, TV keep)
    {
        TV start = TOps.Create(T.Max(TOps.GetElement(_limit, 0), T.CreateTruncating(TOps.Count)) - T.CreateTruncating(TOps.Count));
        Tally(a, TOps.And(keep, TOps.LessThan(TOps.Add(TOps.Indices, start), _limit)));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Tally(TV a, TV before) => _count = TOps.Add(_count, TOps.And(TOps.And(TOps.Equal(a, _target), before), _one));

    public readonly long Count => long.CreateTruncating(TOps.Sum(_count));
}
