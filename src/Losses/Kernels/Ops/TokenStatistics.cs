using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Losses.Kernels;

/// <summary>One token's figures under one model: −log softmax(x)[t], the entropy of softmax(x), and the target's rank.</summary>
internal struct TokenFigures
{
    /// <summary>−log softmax(x)[t] = (max − x_t) + log Σ e^(x − max), in double; +∞ for a masked (−∞) target.</summary>
    public double Loss;

    /// <summary>H(softmax(x)) in nats (0 when not asked for).</summary>
    public double Entropy;

    /// <summary>The target's position in a stable descending sort of the row: #{j : x_j &gt; x_t} + #{j &lt; t : x_j = x_t}; 0 = argmax.</summary>
    public long Rank;

    /// <summary>The target class, or −1 for an ignored row.</summary>
    public int Target;
}

/// <summary>Targets as int or long (PyTorch's int64), read per row.</summary>
internal readonly unsafe struct TokenTargets
{
    public void* Targets { get; init; }
    public bool Long { get; init; }
    public long IgnoreIndex { get; init; }

    public long this[int row]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Long ? ((long*)Targets)[row] : ((int*)Targets)[row];
    }
}

/// <summary>
/// The figures of each token of one model (<see cref="PerplexityAccumulator"/>), written to <see cref="Figures"/>.
/// Full: the row maximum (one cheap pass), then one fused pass that sums e^(x−m) and e^(x−m)·(x−m) (the entropy reducer of
/// <see cref="Entropy.FromLogits{T}(ReadOnlySpan{T})"/>) and counts the logits above and equal to the target's.
/// <see cref="LossOnly"/>: the online normalizer of <see cref="CrossEntropy"/> (one pass). The row value is the loss.
/// </summary>
internal readonly unsafe struct TokenFiguresOp<T> : IRowOp<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public T* Logits { get; init; }
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
        ref T x = ref Batch<T>.Row(Logits, row, ClassCount);
        T atTarget = Unsafe.Add(ref x, (int)t);
        TokenFigures figures = LossOnly ? Lean<TOps, TV>(in x, ClassCount, (int)t, atTarget) : Full<TOps, TV>(in x, ClassCount, (int)t, atTarget);
        Figures[row] = figures;
        return Floats<T>.FromDouble(figures.Loss);
    }

    // Not inlined into the driver's loop over rows: the JIT would run out of inlining budget and call the exp polynomial.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static TokenFigures Full<TOps, TV>(ref readonly T x, int c, int t, T atTarget)
        where TOps : ISimd<TV, T>
        where TV : struct
    {
        T max = MaxOf<TOps, TV, T>.One(in x, c);
        var reducer = new TargetReducer<TOps, TV>(max, atTarget);
        Rows<TOps, TV, T>.Reduce(in x, in x, c, ref reducer);
        var (sum, entropy) = reducer.Entropy.SumAndEntropy();
        return new TokenFigures
        {
            Loss = LossOf(max, atTarget, sum),
            Entropy = entropy,
            Rank = reducer.Rank.Result(in x, t, atTarget),
            Target = t,
        };
    }

    /// <summary>Only the loss, from the online normalizer of <see cref="CrossEntropy"/> (one pass, one exp per element; the normalizer is a call of its own, so this is inlined).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TokenFigures Lean<TOps, TV>(ref readonly T x, int c, int t, T atTarget)
        where TOps : ISimd<TV, T>
        where TV : struct
    {
        var normalizer = Rows<TOps, TV, T>.Normalizer(in x, c);
        return new TokenFigures { Loss = LossOf(normalizer.Max, atTarget, Floats<T>.ToDouble(normalizer.SumOfExp)), Target = t };
    }

    /// <summary>−log softmax(x)[t] = (max − x_t) + log Σ e^(x − max), in double (both forms).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double LossOf(T max, T atTarget, double sumOfExp) =>
        (Floats<T>.ToDouble(max) - Floats<T>.ToDouble(atTarget)) + Math.Log(sumOfExp);

    /// <summary>Per lane, the number of logits above and equal to the target's (in the fused pass: a pass of its own measured slower than the whole fused pass).</summary>
    private struct RankReducer<TOps, TV>(T atTarget) : IReducer<TV>
        where TOps : ISimd<TV, T>
        where TV : struct
    {
        private readonly TV _target = TOps.Create(atTarget);
        private readonly TV _one = TOps.Create(T.One);
        private TV _greater;
        private TV _equal;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Step(TV x, TV b)
        {
            _greater = TOps.Add(_greater, TOps.And(TOps.LessThan(_target, x), _one));
            _equal = TOps.Add(_equal, TOps.And(TOps.Equal(x, _target), _one));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void StepTail(TV x, TV b, TV keep)
        {
            TV one = TOps.And(keep, _one);
            _greater = TOps.Add(_greater, TOps.And(TOps.LessThan(_target, x), one));
            _equal = TOps.Add(_equal, TOps.And(TOps.Equal(x, _target), one));
        }

        /// <summary>#{x &gt; x_t}, plus, only when another logit ties with the target, the ties before it (a rare scan).</summary>
        public readonly long Result(ref readonly T x, int t, T atTarget)
        {
            long rank = long.CreateTruncating(TOps.Sum(_greater));
            return TOps.Sum(_equal) > T.One ? rank + MemoryMarshal.CreateReadOnlySpan(in x, t).Count(atTarget) : rank;
        }
    }

    /// <summary>The entropy reducer and the rank reducer in one pass.</summary>
    private struct TargetReducer<TOps, TV>(T max, T atTarget) : IReducer<TV>
        where TOps : ISimd<TV, T>
        where TV : struct
    {
        public DistributionTerms<TOps, TV, T>.EntropyOfLogits Entropy = new(max);
        public RankReducer<TOps, TV> Rank = new(atTarget);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Step(TV x, TV b)
        {
            Entropy.Step(x, b);
            Rank.Step(x, b);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void StepTail(TV x, TV b, TV keep)
        {
            Entropy.StepTail(x, b, keep);
            Rank.StepTail(x, b, keep);
        }
    }
}
