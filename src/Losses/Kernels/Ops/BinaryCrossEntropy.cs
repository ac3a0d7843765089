using System.Numerics;
using System.Runtime.CompilerServices;

namespace Losses.Kernels;

/// <summary>σ(x) and σ(−x) of the logit losses.</summary>
internal static class Sigmoid<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>σ(x) and σ(−x), both accurate (never 1 − σ).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Sigmoids<TOps, TV>(TV x, out TV positive, out TV negative, out TV e)
        where TOps : ISimd<TV, T>
        where TV : struct
    {
        TV one = TOps.Create(T.One);
        e = VectorMath<TOps, TV, T>.Exp(TOps.Subtract(default, TOps.Abs(x)));
        TV inverse = TOps.Divide(one, TOps.Add(one, e));
        TV small = TOps.Multiply(e, inverse);
        TV nonNegative = TOps.GreaterThanOrEqual(x, default);
        positive = TOps.Select(nonNegative, inverse, small);
        negative = TOps.Select(nonNegative, small, inverse);
    }
}

/// <summary>−(y·max(log x, −100) + (1 − y)·max(log(1 − x), −100)); derivative (x − y)/max(x(1 − x), 1e-12), as PyTorch.</summary>
internal readonly struct BinaryCrossEntropyTerm<T> : IElementwiseLoss<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TV Loss<TOps, TV>(TV x, TV y, TV p, out TV derivative)
        where TOps : ISimd<TV, T>
        where TV : struct
    {
        TV one = TOps.Create(T.One);
        TV floor = TOps.Create(T.CreateTruncating(-100));
        TV complement = TOps.Subtract(one, x);
        TV logX = TOps.MaxFast(VectorMath<TOps, TV, T>.Log(x), floor);
        TV logComplement = TOps.MaxFast(VectorMath<TOps, TV, T>.Log(complement), floor);
        TV loss = TOps.Subtract(default, TOps.MultiplyAdd(y, TOps.Subtract(logX, logComplement), logComplement));
        derivative = TOps.Divide(TOps.Subtract(x, y), TOps.MaxFast(TOps.Multiply(x, complement), TOps.Create(T.CreateTruncating(1e-12f))));
        return loss;
    }
}

/// <summary>(1 − y)·x + (1 + (pw − 1)·y)·softplus(−x); derivative (1 + (pw − 1)·y)·σ(x) − pw·y.</summary>
internal readonly struct BinaryCrossEntropyWithLogitsTerm<T> : IElementwiseLoss<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TV Loss<TOps, TV>(TV x, TV y, TV p, out TV derivative)
        where TOps : ISimd<TV, T>
        where TV : struct
    {
        TV one = TOps.Create(T.One);
        TV logWeight = TOps.MultiplyAdd(TOps.Subtract(p, one), y, one);
        // softplus(−x) = max(−x, 0) + log1p(e^−|x|): the same e^−|x| as the sigmoid, so one exp per element.
        Sigmoid<T>.Sigmoids<TOps, TV>(x, out TV sigmoid, out _, out TV e);
        TV softplusNegative = TOps.Add(TOps.MaxFast(TOps.Subtract(default, x), default), VectorMath<TOps, TV, T>.Log1P(e));
        derivative = TOps.Subtract(TOps.Multiply(logWeight, sigmoid), TOps.Multiply(p, y));
        return TOps.MultiplyAdd(TOps.Subtract(one, y), x, TOps.Multiply(logWeight, softplusNegative));
    }
}
