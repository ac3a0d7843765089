using System.Numerics;
using System.Runtime.CompilerServices;

namespace Losses.Kernels;

/// <summary>kl_div: y·log y − y·x (0·log 0 = 0), or exp(y)·(y − x); derivative −y or −exp(y).</summary>
internal readonly struct KLDivLossTerm<T>(bool logTarget) : IElementwiseLoss<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly bool _logTarget = logTarget;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TV Loss<TOps, TV>(TV x, TV y, TV p, out TV derivative)
        where TOps : ISimd<TV, T>
        where TV : struct
    {
        if (_logTarget)
        {
            TV target = VectorMath<TOps, TV, T>.Exp(y);
            derivative = TOps.Subtract(default, target);
            return TOps.Multiply(target, TOps.Subtract(y, x));
        }
        TV yLogY = TOps.Select(TOps.Equal(y, default), default, TOps.Multiply(y, VectorMath<TOps, TV, T>.Log(y)));
        derivative = TOps.Subtract(default, y);
        return TOps.Subtract(yLogY, TOps.Multiply(y, x));
    }
}
