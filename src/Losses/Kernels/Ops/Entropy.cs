using System.Numerics;
using System.Runtime.CompilerServices;

namespace Losses.Kernels;

/// <summary>−Σ p log p · scale per row, of probabilities or (normalised first) counts (<see cref="Entropy.Of{T}(ReadOnlySpan{T})"/>, <see cref="Entropy.FromCounts{T}(ReadOnlySpan{T})"/>).</summary>
internal readonly unsafe struct EntropyOp<T> : IPinnedOp<T, EntropyOp<T>>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public EntropyOp<T> On(T* first, T* second, T* third, int classCount) => this with { P = first, ClassCount = classCount };

    public T* P { get; init; }
    public int ClassCount { get; init; }

    /// <summary>1 / ln(base).</summary>
    public T Scale { get; init; }

    /// <summary>Divide by the row sum first (counts).</summary>
    public bool Normalize { get; init; }

    /// <summary>Return e^H (perplexity) instead of H.</summary>
    public bool Exponentiate { get; init; }

    public T Row<TOps, TV>(int row)
        where TOps : ISimd<TV, T>
        where TV : struct
    {
        int n = ClassCount;
        ref T p = ref Batch<T>.Row(P, row, n);
        (T first, T second) = Normalize ? InverseSums<TOps, TV, T>.Of(in p, n, Rows<TOps, TV, T>.Sum(in p, n)) : (T.One, T.One);
        T sum = Rows<TOps, TV, T>.SumOf(in p, in p, n, new DistributionTerms<TOps, TV, T>.XLogX(first, second));
        T entropy = Measure<T>.Scaled(-double.CreateTruncating(sum), Scale);
        return Exponentiate ? T.Exp(entropy) : entropy;
    }
}

/// <summary>−Σ p log q · scale per row (<see cref="Entropy.Cross{T}(ReadOnlySpan{T}, ReadOnlySpan{T})"/>).</summary>
internal readonly unsafe struct CrossOp<T> : IPinnedOp<T, CrossOp<T>>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public CrossOp<T> On(T* first, T* second, T* third, int classCount) => this with { P = first, Q = second, ClassCount = classCount };

    public T* P { get; init; }
    public T* Q { get; init; }
    public int ClassCount { get; init; }
    public T Scale { get; init; }

    public T Row<TOps, TV>(int row)
        where TOps : ISimd<TV, T>
        where TV : struct
    {
        int n = ClassCount;
        T sum = Rows<TOps, TV, T>.SumOf(in Batch<T>.Row(P, row, n), in Batch<T>.Row(Q, row, n), n, new DistributionTerms<TOps, TV, T>.XLogY());
        return Measure<T>.Scaled(-double.CreateTruncating(sum), Scale);
    }
}

/// <summary>
/// H(softmax(x)) · scale per row, as log S − W/S with S = Σ e^(x−m), W = Σ e^(x−m)·(x − m): two non-negative terms, no
/// cancellation even for logits of ±1e4 (<see cref="Entropy.FromLogits{T}(ReadOnlySpan{T})"/>).
/// </summary>
internal readonly unsafe struct EntropyFromLogitsOp<T> : IPinnedOp<T, EntropyFromLogitsOp<T>>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public EntropyFromLogitsOp<T> On(T* first, T* second, T* third, int classCount) => this with { Logits = first, ClassCount = classCount };

    public T* Logits { get; init; }
    public int ClassCount { get; init; }
    public T Scale { get; init; }
    public bool Exponentiate { get; init; }

    public T Row<TOps, TV>(int row)
        where TOps : ISimd<TV, T>
        where TV : struct
    {
        int n = ClassCount;
        ref T x = ref Batch<T>.Row(Logits, row, n);
        var reducer = new DistributionTerms<TOps, TV, T>.EntropyOfLogits(MaxOf<TOps, TV, T>.One(in x, n));
        Rows<TOps, TV, T>.Reduce(in x, in x, n, ref reducer);
        T entropy = Measure<T>.Scaled(reducer.Result(), Scale);
        return Exponentiate ? T.Exp(entropy) : entropy;
    }

    public static bool HasBlock => true;

    public TV Block<TOps, TBlock, TV>(int row, Span<TV> scratch)
        where TOps : ISimd<TV, T>
        where TBlock : IBlockOps<TV, T>
        where TV : struct
    {
        int c = ClassCount;
        Span<TV> x = Tile<T, TOps, TBlock, TV>.Load(scratch, 0, Logits, row, c);
        TV max = Tile<T, TOps, TBlock, TV>.Max(x, c);
        TV sum = default;
        TV weighted = default;
        for (int k = 0; k < c; k++)
        {
            TV shifted = TOps.Subtract(x[k], max);
            TV e = VectorMath<TOps, TV, T>.ExpNonPositive(shifted);
            sum = TOps.Add(sum, e);
            weighted = TOps.Add(weighted, DistributionTerms<TOps, TV, T>.Weighted(e, shifted));
        }
        TV entropy = TOps.Subtract(VectorMath<TOps, TV, T>.Log(sum), TOps.Divide(weighted, sum));
        entropy = TOps.Multiply(entropy, TOps.Create(Scale));
        return Exponentiate ? ExpOutOfLine<TOps, TV>(entropy) : entropy;
    }

    /// <summary>
    /// e^H for the perplexity form, out of line: inlined next to the loop's exps, this exp exhausted the JIT's inlining
    /// budget and left its primitives as calls (seen by the smoke check's inlining half, 2026-12-03).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static TV ExpOutOfLine<TOps, TV>(TV x)
        where TOps : ISimd<TV, T>
        where TV : struct => VectorMath<TOps, TV, T>.Exp(x);
}

/// <summary>H(p, softmax(x)) · scale per row, as P·log S − A (<see cref="Entropy.CrossFromLogits{T}(ReadOnlySpan{T}, ReadOnlySpan{T})"/>).</summary>
internal readonly unsafe struct CrossFromLogitsOp<T> : IPinnedOp<T, CrossFromLogitsOp<T>>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public CrossFromLogitsOp<T> On(T* first, T* second, T* third, int classCount) => this with { P = first, Logits = second, ClassCount = classCount };

    public T* P { get; init; }
    public T* Logits { get; init; }
    public int ClassCount { get; init; }
    public T Scale { get; init; }

    public T Row<TOps, TV>(int row)
        where TOps : ISimd<TV, T>
        where TV : struct
    {
        int n = ClassCount;
        ref T x = ref Batch<T>.Row(Logits, row, n);
        var reducer = new DistributionTerms<TOps, TV, T>.CrossOfLogits(MaxOf<TOps, TV, T>.One(in x, n));
        Rows<TOps, TV, T>.Reduce(in Batch<T>.Row(P, row, n), in x, n, ref reducer);
        return Measure<T>.Scaled(reducer.Result(), Scale);
    }
}

/// <summary>The binary cross-entropy per element of p against q (or logits of q), over one flat row (<see cref="Entropy.BinaryCross{T}(ReadOnlySpan{T}, ReadOnlySpan{T})"/>).</summary>
internal readonly unsafe struct BinaryCrossOp<T> : IRowOp<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public T* P { get; init; }
    public T* Q { get; init; }

    /// <summary>Per-element values, or null.</summary>
    public T* Destination { get; init; }

    public int Length { get; init; }
    public bool Logits { get; init; }

    public T Row<TOps, TV>(int row)
        where TOps : ISimd<TV, T>
        where TV : struct =>
        Logits
            ? Apply<TOps, TV, DistributionTerms<TOps, TV, T>.BinaryCrossOfLogits>(default)
            : Apply<TOps, TV, DistributionTerms<TOps, TV, T>.BinaryCross>(default);

    private T Apply<TOps, TV, TOp>(TOp op)
        where TOps : ISimd<TV, T>
        where TV : struct
        where TOp : struct, IBinaryOp<TV>
    {
        if (Destination == null)
        {
            return Rows<TOps, TV, T>.SumOf(in *P, in *Q, Length, op);
        }
        Rows<TOps, TV, T>.Map(in *P, in *Q, ref *Destination, Length, op);
        return Rows<TOps, TV, T>.Sum(in *Destination, Length);
    }
}

/// <summary>The per-row measures' one rounding: a value computed in double, times the op's scale (1/ln base, T², …) in double, rounded to T once.</summary>
internal static class Measure<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Scaled(double value, T scale) => T.CreateTruncating(value * double.CreateTruncating(scale));
}

/// <summary>The maxima the logit measures shift by (each at least MinValue), one pass. Not inlined: its loop would use up the
/// JIT's inlining budget of the caller, which then calls the exp polynomial instead of inlining it (measured 4× slower).</summary>
internal static class MaxOf<TOps, TV, T>
    where TOps : ISimd<TV, T>
    where TV : struct
    where T : unmanaged, IFloatingPointIeee754<T>
{
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining | System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static (T A, T B) Two(ref readonly T a, ref readonly T b, int n)
    {
        var reducer = new DistributionTerms<TOps, TV, T>.MaxPair();
        Rows<TOps, TV, T>.Reduce(in a, in b, n, ref reducer);
        return (DistributionTerms<TOps, TV, T>.MaxPair.Reduce(reducer.MaxA), DistributionTerms<TOps, TV, T>.MaxPair.Reduce(reducer.MaxB));
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public static T One(ref readonly T x, int n) => Two(in x, in x, n).A;
}
