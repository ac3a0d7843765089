using System.Numerics;

namespace Losses.Kernels;

/// <summary>−w[t]·logp[t] per row, gradient −w[t]·scale at the target and 0 elsewhere (<see cref="NllLoss.Forward{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, int, Span{T}, Reduction, Span{T}, ReadOnlySpan{T}, int, int)"/>).</summary>
internal readonly unsafe struct NllLossOp<T> : IRowOp<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public T* LogProbabilities { get; init; }
    public int* Targets { get; init; }
    public T* Weight { get; init; }
    public T* Gradient { get; init; }
    public int ClassCount { get; init; }
    public int IgnoreIndex { get; init; }
    public T GradientScale { get; init; }

    public T Row<TOps, TV>(int row)
        where TOps : ISimd<TV, T>
        where TV : struct
    {
        int c = ClassCount;
        int t = Targets[row];
        bool ignored = t == IgnoreIndex;
        T wt = ignored ? T.Zero : Weight != null ? Weight[t] : T.One;
        T loss = ignored ? T.Zero : -wt * LogProbabilities[((nint)row * c) + t];
        if (Gradient != null)
        {
            // After reading the row: the gradient may be the input itself.
            var g = new Span<T>(Gradient + ((nint)row * c), c);
            g.Clear();
            if (!ignored)
            {
                g[t] = -wt * GradientScale;
            }
        }
        return loss;
    }
}
