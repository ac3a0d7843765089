using System.Numerics;
using System.Runtime.CompilerServices;

namespace Losses.Kernels;

/// <summary>
/// Sigmoid focal loss (α, negative for none; γ): α_t·ce·mᵞ with ce the BCE with logits, m = 1 − p_t =
/// y·σ(−x) + (1 − y)·σ(x) and α_t = α·y + (1 − α)(1 − y); derivative α_t·((σ(x) − y)·mᵞ + ce·γ·mᵞ⁻¹·(1 − 2y)·σ(x)σ(−x)),
/// with ce and σ(x) − y = (1 − y)·σ(x) − y·σ(−x) in the cancellation-free forms of <see cref="BinaryCrossEntropyWithLogitsTerm{T}"/>.
/// </summary>
internal readonly struct FocalLossTerm<T>(T alpha, T gamma) : IElementwiseLoss<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T _alpha = alpha;
    private readonly T _gamma = gamma;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TV Loss<TOps, TV>(TV x, TV y, TV p, out TV derivative)
        where TOps : ISimd<TV, T>
        where TV : struct
    {
        TV one = TOps.Create(T.One);
        Sigmoid<T>.Sigmoids<TOps, TV>(x, out TV sigmoid, out TV complement, out TV e);
        TV oneMinusY = TOps.Subtract(one, y);
        TV ce = TOps.Add(Sigmoid<T>.Linear<TOps, TV>(x, oneMinusY, y), VectorMath<TOps, TV, T>.Log1P(e));
        TV m = TOps.MultiplyAdd(y, complement, TOps.Multiply(oneMinusY, sigmoid));
        T gamma = _gamma;
        TV power;
        TV powerOverM;
        if (gamma == T.Zero)
        {
            power = one;
            powerOverM = default;
        }
        else
        {
            power = VectorMath<TOps, TV, T>.Exp(TOps.Multiply(TOps.Create(gamma), VectorMath<TOps, TV, T>.Log(m)));
            powerOverM = TOps.Select(TOps.LessThan(default, m), TOps.Multiply(TOps.Create(gamma), TOps.Divide(power, m)), default);
        }
        TV slope = TOps.Multiply(TOps.Subtract(oneMinusY, y), TOps.Multiply(sigmoid, complement));
        TV loss = TOps.Multiply(ce, power);
        TV residual = TOps.Subtract(TOps.Multiply(oneMinusY, sigmoid), TOps.Multiply(y, complement));
        derivative = TOps.MultiplyAdd(residual, power, TOps.Multiply(TOps.Multiply(ce, powerOverM), slope));
        T alpha = _alpha;
        if (alpha >= T.Zero)
        {
            TV a = TOps.Create(alpha);
            TV alphaT = TOps.MultiplyAdd(a, y, TOps.Multiply(TOps.Subtract(one, a), oneMinusY));
            loss = TOps.Multiply(loss, alphaT);
            derivative = TOps.Multiply(derivative, alphaT);
        }
        return loss;
    }
}
