using System.Numerics;

namespace Losses.Kernels;

/// <summary>log-softmax(x) = (x − max) − log Σ exp(x − max) per row (<see cref="LogSoftmax.Forward{T}(ReadOnlySpan{T}, Span{T}, int, int)"/>).</summary>
internal readonly struct LogSoftmaxMap<T> : IRowMap<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public static void Row<TOps, TV>(ref readonly T x, ref T y, int c)
        where TOps : ISimd<TV, T>
        where TV : struct
    {
        var normalizer = Rows<TOps, TV, T>.Normalizer(in x, c);
        Rows<TOps, TV, T>.Map(in x, ref y, c,
            new ElementOps<TOps, TV, T>.SubtractTwice(TOps.Create(normalizer.Max), TOps.Create(T.Log(normalizer.SumOfExp))));
    }

    public static void Block<TOps, TBlock, TV>(Span<TV> x, int c)
        where TOps : ISimd<TV, T>
        where TBlock : IBlockOps<TV, T>
        where TV : struct
    {
        TV max = Tile<T, TOps, TBlock, TV>.Max(x, c);
        TV logSum = VectorMath<TOps, TV, T>.Log(Tile<T, TOps, TBlock, TV>.SumOfExpTerms(x, max, c));
        Tile<T, TOps, TBlock, TV>.Map(x, c, new ElementOps<TOps, TV, T>.SubtractTwice(max, logSum));
    }
}

/// <summary>dx = dy − exp(output) · Σ dy per row (<see cref="LogSoftmax.Backward{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, int, int)"/>).</summary>
internal readonly struct LogSoftmaxGradient<T> : IRowGradient<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public static void Row<TOps, TV>(ref readonly T y, ref readonly T dy, ref T dx, int c)
        where TOps : ISimd<TV, T>
        where TV : struct =>
        Rows<TOps, TV, T>.Map(in y, in dy, ref dx, c, new ElementOps<TOps, TV, T>.LogSoftmaxVjp(TOps.Create(Rows<TOps, TV, T>.Sum(in dy, c))));

    public static void Block<TOps, TBlock, TV>(Span<TV> y, Span<TV> dy, int c)
        where TOps : ISimd<TV, T>
        where TBlock : IBlockOps<TV, T>
        where TV : struct =>
        Tile<T, TOps, TBlock, TV>.Map(y, dy, c, new ElementOps<TOps, TV, T>.LogSoftmaxVjp(Tile<T, TOps, TBlock, TV>.Sum(dy, c)));
}
