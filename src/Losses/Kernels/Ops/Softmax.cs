using System.Numerics;

namespace Losses.Kernels;

/// <summary>softmax(x) = exp(x − max x) / Σ exp(x − max x) per row (<see cref="Softmax.Forward{T}(ReadOnlySpan{T}, Span{T}, int, int)"/>).</summary>
internal readonly struct SoftmaxMap<T> : IRowMap<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public static void Row<TOps, TV>(ref readonly T x, ref T y, int c)
        where TOps : ISimd<TV, T>
        where TV : struct
    {
        if (c <= 2 * TOps.Count)
        {
            Rows<TOps, TV, T>.ShortSoftmax(in x, ref y, c);
            return;
        }
        T max = Rows<TOps, TV, T>.ShiftMax(in x, c);
        T sum = Rows<TOps, TV, T>.MapSum(in x, ref y, c, new ElementOps<TOps, TV, T>.ExpShift(max), prefetchNextRow: true);
        Rows<TOps, TV, T>.Map(in y, ref y, c, new ElementOps<TOps, TV, T>.Scale(T.One / sum));
    }

    /// <summary>One exp per element: the exps stay in the tile, then one scale.</summary>
    public static void Block<TOps, TBlock, TV>(Span<TV> x, int c)
        where TOps : ISimd<TV, T>
        where TBlock : IBlockOps<TV, T>
        where TV : struct
    {
        TV sum = Tile<T, TOps, TBlock, TV>.StoreExpShift(x, Tile<T, TOps, TBlock, TV>.Max(x, c), c);
        Tile<T, TOps, TBlock, TV>.Map(x, c, new ElementOps<TOps, TV, T>.Scale(TOps.Divide(TOps.Create(T.One), sum)));
    }
}

/// <summary>dx = y ⊙ (dy − ⟨y, dy⟩) per row (<see cref="Softmax.Backward{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, int, int)"/>).</summary>
internal readonly struct SoftmaxGradient<T> : IRowGradient<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public static void Row<TOps, TV>(ref readonly T y, ref readonly T dy, ref T dx, int c)
        where TOps : ISimd<TV, T>
        where TV : struct =>
        Rows<TOps, TV, T>.Map(in y, in dy, ref dx, c, new ElementOps<TOps, TV, T>.SoftmaxVjp(TOps.Create(Rows<TOps, TV, T>.Dot(in y, in dy, c))));

    public static void Block<TOps, TBlock, TV>(Span<TV> y, Span<TV> dy, int c)
        where TOps : ISimd<TV, T>
        where TBlock : IBlockOps<TV, T>
        where TV : struct =>
        Tile<T, TOps, TBlock, TV>.Map(y, dy, c, new ElementOps<TOps, TV, T>.SoftmaxVjp(Tile<T, TOps, TBlock, TV>.Dot(y, dy, c)));
}
