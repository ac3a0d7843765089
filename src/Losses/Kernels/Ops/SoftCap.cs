using System.Numerics;
using System.Runtime.CompilerServices;

namespace Losses.Kernels;

/// <summary>
/// A transform of the logits applied in a row op's loads: none, or Gemma 2's soft-capping x ↦ c·tanh(x/c). Its derivative
/// multiplies the gradient with respect to the capped logits.
/// </summary>
internal interface ISoftCap<TV>
    where TV : struct
{
    /// <summary>False for the identity, so that the derivative's multiplication is compiled away.</summary>
    static abstract bool IsActive { get; }

    /// <summary>The capped logits and d capped / dx.</summary>
    TV Apply(TV x, out TV derivative);

    /// <summary>The capped logits.</summary>
    TV Apply(TV x);
}

/// <summary>No cap: the logits as they are.</summary>
internal readonly struct NoCap<TV> : ISoftCap<TV>
    where TV : struct
{
    public static bool IsActive => false;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TV Apply(TV x, out TV derivative)
    {
        derivative = default;
        return x;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TV Apply(TV x) => x;
}

/// <summary>
/// c·tanh(x/c), derivative 1 − tanh²(x/c). A −∞ logit stays −∞ (a masked class stays masked, with derivative 0), where
/// composing tanh as PyTorch users do gives −c and unmasks it; +∞ gives c, as tanh.
/// </summary>
/// <remarks>tanh(y): for |y| &lt; 0.625 Cephes' odd polynomial (float) or rational function (double) in y², otherwise
/// (1 − u)/(1 + u) with u = e^{−2|y|} ≤ 0.29 (the flushed term exp of a non-positive argument: no overflow test, and u
/// below 2⁻¹²⁴ is 0, where tanh is 1 in float and double anyway) and the sign of y; ≤ 3 ulp over the whole range (tested
/// against Math.Tanh).</remarks>
internal readonly struct TanhCap<TOps, TV, T>(T cap) : ISoftCap<TV>
    where TOps : ISimd<TV, T>
    where TV : struct
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly TV _cap = TOps.Create(cap);
    private readonly TV _inverse = TOps.Create(T.One / cap);

    public static bool IsActive => true;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TV Apply(TV x, out TV derivative)
    {
        TV t = Tanh(TOps.Multiply(x, _inverse));
        derivative = TOps.Subtract(TOps.Create(T.One), TOps.Multiply(t, t));
        return Masked(x, TOps.Multiply(_cap, t));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TV Apply(TV x) => Masked(x, TOps.Multiply(_cap, Tanh(TOps.Multiply(x, _inverse))));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV Masked(TV x, TV capped)
    {
        TV negativeInfinity = TOps.Create(T.NegativeInfinity);
        return TOps.Select(TOps.Equal(x, negativeInfinity), negativeInfinity, capped);
    }

    /// <summary>tanh of each lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Tanh(TV y)
    {
        TV z = TOps.Multiply(y, y);
        TV small;
        if (typeof(T) == typeof(float))
        {
            TV p = C(-5.70498872745E-3);
            p = TOps.MultiplyAdd(p, z, C(2.06390887954E-2));
            p = TOps.MultiplyAdd(p, z, C(-5.37397155531E-2));
            p = TOps.MultiplyAdd(p, z, C(1.33314422036E-1));
            p = TOps.MultiplyAdd(p, z, C(-3.33332819422E-1));
            small = TOps.MultiplyAdd(TOps.Multiply(p, z), y, y);
        }
        else
        {
            TV p = C(-9.64399179425052238628E-1);
            p = TOps.MultiplyAdd(p, z, C(-9.92877231001918586564E1));
            p = TOps.MultiplyAdd(p, z, C(-1.61468768441708447952E3));
            TV q = TOps.Add(z, C(1.12811678491632931402E2));
            q = TOps.MultiplyAdd(q, z, C(2.23548839060100448583E3));
            q = TOps.MultiplyAdd(q, z, C(4.84406305325125486048E3));
            small = TOps.MultiplyAdd(TOps.Divide(TOps.Multiply(p, z), q), y, y);
        }
        TV a = TOps.Abs(y);
        TV u = VectorMath<TOps, TV, T>.ExpTermFlushed(TOps.Subtract(default, TOps.Add(a, a)));
        TV large = TOps.Divide(TOps.Subtract(C(1.0), u), TOps.Add(C(1.0), u));
        TV sign = TOps.And(y, TOps.FromBits(typeof(T) == typeof(float) ? unchecked((int)0x80000000) : long.MinValue));
        large = TOps.Or(large, sign);
        // NaN fails the comparison and takes the large branch, where exp keeps it NaN.
        return TOps.Select(TOps.LessThan(a, C(0.625)), small, large);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV C(double value) => TOps.Create(T.CreateTruncating(value));
}
