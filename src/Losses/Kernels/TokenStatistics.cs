using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Losses.Kernels;

/// <summary>One token's figures under one model: −log softmax(x)[t], the entropy of softmax(x), and the target's rank.</summary>
internal struct TokenFigures
{
    /// <summary>−log softmax(x)[t] = (max − x_t) + log Σ e^(x − max), in double; +∞ for a masked (−∞) target.</summary>
    public double Loss;

    /// <summary>H(softmax(x)) in nats.</summary>
    public double Entropy;

    /// <summary>The target's position in a stable descending sort of the row: #{j : x_j &gt; x_t} + #{j &lt; t : x_j = x_t}; 0 = argmax.</summary>
    public long Rank;

    /// <summary>The target class.</summary>
    public int Target;
}

/// <summary>One token's figures under a reference model P and a model Q.</summary>
internal struct PairFigures
{
    /// <summary>−log P(t).</summary>
    public double ReferenceLoss;

    /// <summary>−log Q(t).</summary>
    public double Loss;

    /// <summary>KL(P ‖ Q) in nats.</summary>
    public double Divergence;

    /// <summary>The first index of the largest logit of P (as torch.argmax) equals that of Q.</summary>
    public bool SameTop;
}

/// <summary>Receives the figures of each counted token of a batch, in row order.</summary>
internal interface ITokenSink
{
    void Add(in TokenFigures figures);

    void Add(in PairFigures figures);
}

/// <summary>
/// A batch of token rows for <see cref="TokenStatistics{T}"/>: logits (and a second model's), targets as int or long,
/// the ignore index (rows skipped) and the sink. Targets are validated by the caller.
/// </summary>
internal unsafe ref struct TokenBatch<T>
    where T : unmanaged
{
    public T* Logits;
    public T* Other;
    public void* Targets;
    public bool LongTargets;
    public int Rows;
    public int ClassCount;
    public long IgnoreIndex;
    public ITokenSink Sink;

    /// <summary>One model: only the loss (one online pass), no entropy nor rank (a max pass and a fused pass).</summary>
    public bool LossOnly;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly long Target(int row) => LongTargets ? ((long*)Targets)[row] : ((int*)Targets)[row];
}

/// <summary>
/// The evaluation row ops. One model: the row maximum (one cheap pass), then one fused pass that sums e^(x−m) and
/// e^(x−m)·(x−m) (the entropy reducer of <see cref="Entropy"/>) and counts the logits above (and equal to) the target's.
/// Two models: both maxima in one pass, then the KL reducer of <see cref="KLDivergence"/> (both sums of exp and the
/// divergence in one pass); the argmax indices come from a vectorised search of the maxima's bit patterns.
/// </summary>
internal unsafe struct TokenStatistics<T> : IRowKernel<T, TokenBatch<T>>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public static void Run<TOps, TV>(scoped ref TokenBatch<T> batch)
        where TOps : ISimd<TV, T>
        where TV : struct
    {
        int c = batch.ClassCount;
        for (int row = 0; row < batch.Rows; row++)
        {
            long t = batch.Target(row);
            if (t == batch.IgnoreIndex)
            {
                continue;
            }
            ref readonly T x = ref Unsafe.AsRef<T>(batch.Logits + ((nint)row * c));
            if (batch.Other == null)
            {
                batch.Sink.Add(batch.LossOnly ? Lean<TOps, TV>(in x, c, (int)t) : One<TOps, TV>(in x, c, (int)t));
            }
            else
            {
                ref readonly T q = ref Unsafe.AsRef<T>(batch.Other + ((nint)row * c));
                batch.Sink.Add(Pair<TOps, TV>(in x, in q, c, (int)t));
            }
        }
    }

    // Not inlined into the loop over rows: the JIT would run out of inlining budget and call the exp polynomial.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static TokenFigures One<TOps, TV>(ref readonly T x, int c, int t)
        where TOps : ISimd<TV, T>
        where TV : struct
    {
        T max = DistributionKernels.Max<TOps, TV, T>(in x, in x, c).A;
        T atTarget = Unsafe.Add(ref Unsafe.AsRef(in x), t);
        var reducer = new TargetReducer<TOps, TV>(max, atTarget);
        Rows<TOps, TV, T>.Reduce(in x, in x, c, ref reducer);
        var (sum, entropy) = reducer.Entropy.SumAndEntropy();
        return new TokenFigures
        {
            Loss = (double.CreateTruncating(max) - double.CreateTruncating(atTarget)) + Math.Log(sum),
            Entropy = entropy,
            Rank = reducer.Rank.Result(in x, t, atTarget),
            Target = t,
        };
    }

    /// <summary>Only the loss, from the online normalizer of <see cref="CrossEntropy"/> (one pass, one exp per element).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static TokenFigures Lean<TOps, TV>(ref readonly T x, int c, int t)
        where TOps : ISimd<TV, T>
        where TV : struct
    {
        var normalizer = Rows<TOps, TV, T>.Normalizer(in x, c);
        T atTarget = Unsafe.Add(ref Unsafe.AsRef(in x), t);
        return new TokenFigures
        {
            Loss = (double.CreateTruncating(normalizer.Max) - double.CreateTruncating(atTarget)) + Math.Log(double.CreateTruncating(normalizer.SumOfExp)),
            Target = t,
        };
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static PairFigures Pair<TOps, TV>(ref readonly T p, ref readonly T q, int c, int t)
        where TOps : ISimd<TV, T>
        where TV : struct
    {
        var (maxP, maxQ) = DistributionKernels.Max<TOps, TV, T>(in p, in q, c);
        var reducer = new DistributionTerms<TOps, TV, T>.RelativeEntropyOfLogits(T.One, maxP, maxQ);
        Rows<TOps, TV, T>.Reduce(in p, in q, c, ref reducer);
        var (sumP, sumQ, divergence) = reducer.Result();
        return new PairFigures
        {
            ReferenceLoss = (double.CreateTruncating(maxP) - double.CreateTruncating(Unsafe.Add(ref Unsafe.AsRef(in p), t))) + Math.Log(sumP),
            Loss = (double.CreateTruncating(maxQ) - double.CreateTruncating(Unsafe.Add(ref Unsafe.AsRef(in q), t))) + Math.Log(sumQ),
            Divergence = divergence,
            SameTop = IndexOf(in p, c, maxP) == IndexOf(in q, c, maxQ),
        };
    }

    /// <summary>The first index of <paramref name="value"/> (a row maximum), by a vectorised search of its bits; a maximum of ±0 is searched by value.</summary>
    private static int IndexOf(ref readonly T x, int c, T value)
    {
        var row = MemoryMarshal.CreateReadOnlySpan(in x, c);
        if (T.IsZero(value))
        {
            return row.IndexOf(T.Zero);
        }
        return typeof(T) == typeof(float)
            ? MemoryMarshal.Cast<T, int>(row).IndexOf(BitConverter.SingleToInt32Bits(float.CreateTruncating(value)))
            : MemoryMarshal.Cast<T, long>(row).IndexOf(BitConverter.DoubleToInt64Bits(double.CreateTruncating(value)));
    }

    /// <summary>Per lane, the number of logits above and equal to the target's (part of the fused pass: a pass of its own measured slower than the whole fused pass).</summary>
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
