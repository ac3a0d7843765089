using System.Numerics;
using System.Runtime.CompilerServices;

namespace Losses.Kernels;

/// <summary>(x − y)²; derivative 2(x − y).</summary>
internal readonly struct MeanSquaredErrorTerm<T> : IElementwiseLoss<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TV Loss<TOps, TV>(TV x, TV y, TV p, out TV derivative)
        where TOps : ISimd<TV, T>
        where TV : struct
    {
        TV d = TOps.Subtract(x, y);
        derivative = TOps.Add(d, d);
        return TOps.Multiply(d, d);
    }
}
