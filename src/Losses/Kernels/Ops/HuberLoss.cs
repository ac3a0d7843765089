using System.Numerics;
using System.Runtime.CompilerServices;

namespace Losses.Kernels;

/// <summary>Huber with threshold δ: ½d² for |d| &lt; δ, else δ(|d| − ½δ); derivative clamp(d, −δ, δ).</summary>
internal readonly struct HuberLossTerm<T>(T delta) : IElementwiseLoss<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T _delta = delta;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TV Loss<TOps, TV>(TV x, TV y, TV p, out TV derivative)
        where TOps : ISimd<TV, T>
        where TV : struct
    {
        TV delta = TOps.Create(_delta);
        TV half = TOps.Create(T.CreateTruncating(0.5));
        TV d = TOps.Subtract(x, y);
        TV z = TOps.Abs(d);
        TV inside = TOps.LessThan(z, delta);
        derivative = TOps.Select(inside, d, TOps.Select(TOps.LessThan(d, default), TOps.Subtract(default, delta), delta));
        derivative = TOps.Select(TOps.Equal(d, d), derivative, d);
        return TOps.Select(inside, TOps.Multiply(half, TOps.Multiply(d, d)), TOps.Multiply(delta, TOps.Subtract(z, TOps.Multiply(half, delta))));
    }
}
