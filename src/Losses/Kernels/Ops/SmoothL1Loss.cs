using System.Numerics;
using System.Runtime.CompilerServices;

namespace Losses.Kernels;

/// <summary>Smooth L1 with threshold β: ½d²/β for |d| &lt; β, else |d| − ½β; derivative d/β or sign(d).</summary>
internal readonly struct SmoothL1LossTerm<T>(T beta) : IElementwiseLoss<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T _beta = beta;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TV Loss<TOps, TV>(TV x, TV y, TV p, out TV derivative)
        where TOps : ISimd<TV, T>
        where TV : struct
    {
        TV beta = TOps.Create(_beta);
        TV one = TOps.Create(T.One);
        TV half = TOps.Create(T.CreateTruncating(0.5));
        TV d = TOps.Subtract(x, y);
        TV z = TOps.Abs(d);
        TV inside = TOps.LessThan(z, beta);
        TV sign = TOps.Select(TOps.LessThan(d, default), TOps.Subtract(default, one), TOps.Select(TOps.Equal(d, default), default, one));
        derivative = TOps.Select(inside, TOps.Divide(d, beta), sign);
        derivative = TOps.Select(TOps.Equal(d, d), derivative, d);
        return TOps.Select(inside, TOps.Divide(TOps.Multiply(half, TOps.Multiply(d, d)), beta), TOps.Subtract(z, TOps.Multiply(half, beta)));
    }
}
