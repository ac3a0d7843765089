using System.Numerics;

namespace Losses.Kernels;

/// <summary>½ Σ [p log(p/m) + q log(q/m)] · scale per row, p and q normalised, or its square root (<see cref="JensenShannon.Divergence{T}(ReadOnlySpan{T}, ReadOnlySpan{T})"/>).</summary>
internal readonly unsafe struct JensenShannonOp<T> : IPinnedOp<T, JensenShannonOp<T>>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public JensenShannonOp<T> On(T* first, T* second, T* third, int classCount) => this with { P = first, Q = second, ClassCount = classCount };

    public T* P { get; init; }
    public T* Q { get; init; }
    public int ClassCount { get; init; }
    public T Scale { get; init; }
    public bool SquareRoot { get; init; }

    public T Row<TOps, TV>(int row)
        where TOps : ISimd<TV, T>
        where TV : struct
    {
        int n = ClassCount;
        ref T p = ref Batch<T>.Row(P, row, n);
        ref T q = ref Batch<T>.Row(Q, row, n);
        var (scaleP, scaleQ) = InverseSums<TOps, TV, T>.Of(in p, in q, n);
        T sum = Rows<TOps, TV, T>.SumOf(in p, in q, n, new DistributionTerms<TOps, TV, T>.JensenShannon(scaleP, scaleQ));
        double divergence = Math.Max(0.5 * double.CreateTruncating(sum), 0) * double.CreateTruncating(Scale);
        return T.CreateTruncating(SquareRoot ? Math.Sqrt(divergence) : divergence);
    }
}
