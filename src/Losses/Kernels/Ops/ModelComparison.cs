using System.Numerics;
using System.Runtime.CompilerServices;

namespace Losses.Kernels;

/// <summary>
/// The figures of each token under a reference model P and a model Q (<see cref="ModelComparison"/>), written to
/// <see cref="Figures"/>; logits read as <typeparamref name="T"/>, Half or bfloat16 (<typeparamref name="TIn"/>, widened in
/// the loads). Per row: a seed pass for the per-lane maxima and argmaxes of the first <see cref="EvaluationRows{TOps, TV, T}.SeedLength"/>
/// elements (all of a shorter row), then one online pass over both rows (<see cref="ComparisonTerms{TOps, TV, T}"/>): two exps
/// per element, each element read once. The row value is the divergence.
/// </summary>
internal readonly unsafe struct ModelComparisonOp<T, TIn> : IRowOp<T>
    where T : unmanaged, IFloatingPointIeee754<T>
    where TIn : unmanaged
{
    public TIn* ReferenceLogits { get; init; }
    public TIn* Logits { get; init; }
    public TokenTargets Targets { get; init; }
    public int ClassCount { get; init; }
    public PairFigures* Figures { get; init; }

    public T Row<TOps, TV>(int row)
        where TOps : ISimd<TV, T>
        where TV : struct
    {
        long t = Targets[row];
        if (t == Targets.IgnoreIndex)
        {
            Figures[row] = default;
            return T.Zero;
        }
        Figures[row] = Pair<TOps, TV>(in Batch<TIn>.Row(ReferenceLogits, row, ClassCount), in Batch<TIn>.Row(Logits, row, ClassCount), ClassCount, (int)t);
        return T.CreateTruncating(Figures[row].Divergence);
    }

    // Not inlined into the driver's loop over rows: the JIT would run out of inlining budget and call the exp polynomial.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static PairFigures Pair<TOps, TV>(ref readonly TIn p, ref readonly TIn q, int c, int t)
        where TOps : ISimd<TV, T>
        where TV : struct
    {
        var seed = new SeedMaxima<TOps, TV, T>(c);
        EvaluationRows<TOps, TV, T>.Reduce(in p, in q, EvaluationRows<TOps, TV, T>.SeedSpan(c), ref seed);
        var terms = new ComparisonTerms<TOps, TV, T>(seed, c);
        EvaluationRows<TOps, TV, T>.Reduce(in p, in q, c, ref terms);
        var (maxP, sumP, maxQ, sumQ, divergence) = terms.Result();
        int argmaxP = terms.ArgmaxA(), argmaxQ = terms.ArgmaxB();
        return new PairFigures
        {
            ReferenceLoss = (maxP - double.CreateTruncating(Elements<TOps, TV, T>.LoadOne(in p, (nuint)t))) + Math.Log(sumP),
            Loss = (maxQ - double.CreateTruncating(Elements<TOps, TV, T>.LoadOne(in q, (nuint)t))) + Math.Log(sumQ),
            Divergence = divergence,
            SameTop = argmaxP == argmaxQ,
            Counted = true,
        };
    }
}

/// <summary>Row loops of the evaluation ops over logits held as <typeparamref name="T"/>, Half or bfloat16.</summary>
internal static class EvaluationRows<TOps, TV, T>
    where TOps : ISimd<TV, T>
    where TV : struct
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>The seed pass covers this many leading elements (as the online normalizer's): a row that fits never rescales.</summary>
    public const int SeedLength = 2048;

    /// <summary>The length of the seed pass of a row of <paramref name="length"/>: all of a short row, else <see cref="SeedLength"/> (whole vectors).</summary>
    public static int SeedSpan(int length) => Math.Min(length, SeedLength);

    /// <summary>
    /// <see cref="Rows{TOps, TV, T}.Reduce"/> over elements stored as <typeparamref name="TIn"/> (widened in the loads by
    /// <see cref="Elements{TOps, TV, T}"/>, so no widened copy is made): full vectors, then the last vector overlapped and masked.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Reduce<TIn, TReducer>(ref readonly TIn a, ref readonly TIn b, int length, ref TReducer reducer)
        where TIn : unmanaged
        where TReducer : struct, IReducer<TV>
    {
        if (typeof(TIn) == typeof(T))
        {
            Rows<TOps, TV, T>.Reduce(in Unsafe.As<TIn, T>(ref Unsafe.AsRef(in a)), in Unsafe.As<TIn, T>(ref Unsafe.AsRef(in b)), length, ref reducer);
            return;
        }
        nuint count = (nuint)TOps.Count;
        nuint n = (nuint)length;
        nuint i = 0;
        for (; i + count <= n; i += count)
        {
            reducer.Step(Elements<TOps, TV, T>.Load(in a, i), Elements<TOps, TV, T>.Load(in b, i));
        }
        if (i < n)
        {
            nuint start = n - count;
            reducer.StepTail(Elements<TOps, TV, T>.Load(in a, start), Elements<TOps, TV, T>.Load(in b, start), Rows<TOps, TV, T>.TailMask(i, start));
        }
    }

    /// <summary>The first index of the row maximum from per-lane maxima and first indices (lanes in any order, ties to the smallest index).</summary>
    public static int Argmax(TV max, TV index)
    {
        T best = TOps.MaxAcross(max);
        int first = int.MaxValue;
        for (int lane = 0; lane < TOps.Count; lane++)
        {
            if (TOps.GetElement(max, lane) == best)
            {
                first = Math.Min(first, int.CreateTruncating(TOps.GetElement(index, lane)));
            }
        }
        return first;
    }

    /// <summary>Per-lane running maxima (floored at the most negative finite value) of two rows and the first index of each.</summary>
    public struct Maxima
    {
        public TV MaxA;
        public TV MaxB;
        public TV IndexA;
        public TV IndexB;

        public static Maxima Floor => new()
        {
            MaxA = TOps.Create(FloatLimits<T>.MinValue),
            MaxB = TOps.Create(FloatLimits<T>.MinValue),
        };

        /// <summary>Raises each lane's maxima to a, b where they are strictly larger, recording their index (elements come in index order per lane, so the first index of a lane's maximum is kept).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Raise(TV a, TV b, TV index)
        {
            TV riseA = TOps.LessThan(MaxA, a);
            TV riseB = TOps.LessThan(MaxB, b);
            MaxA = TOps.Select(riseA, a, MaxA);
            MaxB = TOps.Select(riseB, b, MaxB);
            IndexA = TOps.Select(riseA, index, IndexA);
            IndexB = TOps.Select(riseB, index, IndexB);
        }
    }
}

/// <summary>The seed pass: per-lane maxima and their first indices of two rows (NaN need not survive: the online pass propagates it).</summary>
internal struct SeedMaxima<TOps, TV, T>(int length) : IReducer<TV>
    where TOps : ISimd<TV, T>
    where TV : struct
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public EvaluationRows<TOps, TV, T>.Maxima Maxima = EvaluationRows<TOps, TV, T>.Maxima.Floor;
    private TV _index = TOps.Indices;
    private readonly T _tail = T.CreateTruncating(EvaluationRows<TOps, TV, T>.SeedSpan(length) - TOps.Count);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Step(TV a, TV b)
    {
        Maxima.Raise(a, b, _index);
        _index = TOps.Add(_index, TOps.Create(T.CreateTruncating(TOps.Count)));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void StepTail(TV a, TV b, TV keep)
    {
        // Lanes already seen hold the same elements: strict comparison leaves their maxima and indices as they are.
        Maxima.Raise(a, b, TOps.Add(TOps.Indices, TOps.Create(_tail)));
    }
}

/// <summary>
/// KL(P ‖ Q), both normalizers and both argmaxes of a reference row a (P = softmax a) and a row b (Q = softmax b) in one
/// online pass. Per lane: running maxima m_a, m_b (seeded), S_a = Σ e^(a−m_a), S_b = Σ e^(b−m_b) and
/// W = Σ e^(a−m_a)·((a − b) − d₀) with d₀ = max a − max b over the seed; a lane whose maximum rises rescales its sums by
/// e^(m_old − m_new) (rare after the seed) and records the index. Then, with M_a, M_b the row maxima and the lanes combined,
/// KL = W/S_a − ((M_a − M_b) − d₀) − log S_a + log S_b, in double: the shift d₀ makes the per-element differences small when
/// the two models differ by a constant (their KL is 0, and so is this to rounding, even for logits of ±1e4).
/// </summary>
internal struct ComparisonTerms<TOps, TV, T> : IReducer<TV>
    where TOps : ISimd<TV, T>
    where TV : struct
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private EvaluationRows<TOps, TV, T>.Maxima _maxima;
    private readonly TV _shift;
    private readonly T _tail;
    private readonly T _seedShift;
    private nuint _position;
    private LaneSum<TOps, TV, T> _sumA;
    private LaneSum<TOps, TV, T> _sumB;
    private LaneSum<TOps, TV, T> _weighted;

    public ComparisonTerms(SeedMaxima<TOps, TV, T> seed, int length)
    {
        _maxima = seed.Maxima;
        T shift = TOps.MaxAcross(_maxima.MaxA) - TOps.MaxAcross(_maxima.MaxB);
        _seedShift = T.IsFinite(shift) ? shift : T.Zero;
        _shift = TOps.Create(_seedShift);
        _tail = T.CreateTruncating(length - TOps.Count);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Step(TV a, TV b)
    {
        if (TOps.AnyGreaterThan(a, _maxima.MaxA) | TOps.AnyGreaterThan(b, _maxima.MaxB))
        {
            Rise(a, b, TOps.Add(TOps.Indices, TOps.Create(T.CreateTruncating(_position))));
        }
        _position += (nuint)TOps.Count;
        Add(a, b);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void StepTail(TV a, TV b, TV keep)
    {
        // Lanes already seen become −∞: they neither raise a maximum nor add a term (e^−∞ = 0, and W's term is dropped where e = 0).
        TV masked = TOps.Create(T.NegativeInfinity);
        a = TOps.Select(keep, a, masked);
        b = TOps.Select(keep, b, masked);
        if (TOps.AnyGreaterThan(a, _maxima.MaxA) || TOps.AnyGreaterThan(b, _maxima.MaxB))
        {
            Rise(a, b, TOps.Add(TOps.Indices, TOps.Create(_tail)));
        }
        Add(a, b);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Add(TV a, TV b)
    {
        TV ea = VectorMath<TOps, TV, T>.Exp(TOps.Subtract(a, _maxima.MaxA));
        TV eb = VectorMath<TOps, TV, T>.Exp(TOps.Subtract(b, _maxima.MaxB));
        _sumA.Add(ea);
        _sumB.Add(eb);
        _weighted.Add(DistributionTerms<TOps, TV, T>.Weighted(ea, TOps.Subtract(TOps.Subtract(a, b), _shift)));
    }

    /// <summary>Rescales the sums of the lanes whose maximum rises (the exps out of line: this path is rare).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Rise(TV a, TV b, TV index)
    {
        var old = _maxima;
        _maxima.Raise(a, b, index);
        TV scaleA = Rows<TOps, TV, T>.ExpOutOfLine(TOps.Subtract(old.MaxA, _maxima.MaxA));
        _sumA.Scale(scaleA);
        _weighted.Scale(scaleA);
        _sumB.Scale(Rows<TOps, TV, T>.ExpOutOfLine(TOps.Subtract(old.MaxB, _maxima.MaxB)));
    }

    /// <summary>The row maxima and sums (lanes combined) and KL in nats, all in double.</summary>
    public readonly (double MaxA, double SumA, double MaxB, double SumB, double Divergence) Result()
    {
        T maxA = TOps.MaxAcross(_maxima.MaxA);
        T maxB = TOps.MaxAcross(_maxima.MaxB);
        TV scaleA = Rows<TOps, TV, T>.ExpOutOfLine(TOps.Subtract(_maxima.MaxA, TOps.Create(maxA)));
        double sumA = double.CreateTruncating(_sumA.ScaledTotal(scaleA));
        double sumB = double.CreateTruncating(_sumB.ScaledTotal(Rows<TOps, TV, T>.ExpOutOfLine(TOps.Subtract(_maxima.MaxB, TOps.Create(maxB)))));
        double weighted = double.CreateTruncating(_weighted.ScaledTotal(scaleA));
        double a = double.CreateTruncating(maxA), b = double.CreateTruncating(maxB);
        double divergence = (weighted / sumA) - ((a - b) - double.CreateTruncating(_seedShift)) - Math.Log(sumA) + Math.Log(sumB);
        return (a, sumA, b, sumB, divergence);
    }

    public readonly int ArgmaxA() => EvaluationRows<TOps, TV, T>.Argmax(_maxima.MaxA, _maxima.IndexA);

    public readonly int ArgmaxB() => EvaluationRows<TOps, TV, T>.Argmax(_maxima.MaxB, _maxima.IndexB);
}
