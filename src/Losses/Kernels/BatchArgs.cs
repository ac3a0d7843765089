using System.Numerics;

namespace Losses.Kernels;

/// <summary>The spans and sizes a batched kernel works on, passed by reference through <see cref="Dispatch"/>.</summary>
internal ref struct BatchArgs<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public ReadOnlySpan<T> A;
    public ReadOnlySpan<T> B;
    public Span<T> Destination;
    public int ClassCount;
    public int Rows;

    /// <summary>Scalar results of a kernel (a single-row reduction, or a batch total).</summary>
    public T Result;

    public T Result2;
}
