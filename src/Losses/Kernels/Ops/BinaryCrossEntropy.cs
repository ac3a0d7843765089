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

    /// <summary>
    /// The part of the BCE with logits that is linear in x: (1 − y)·x for x ≥ 0 and −pw·y·x for x &lt; 0 (both ≥ 0), from
    /// (1 − y)·x + (1 + (pw − 1)·y)·max(−x, 0) without the cancellation of two |x|-sized terms. A zero factor gives 0
    /// even for x = ±∞ (a confident right answer costs nothing); NaN stays NaN.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Linear<TOps, TV>(TV x, TV oneMinusY, TV positiveWeight)
        where TOps : ISimd<TV, T>
        where TV : struct
    {
        TV factor = TOps.Select(TOps.GreaterThanOrEqual(x, default), oneMinusY, TOps.Subtract(default, positiveWeight));
        return TOps.Select(TOps.Equal(factor, default), TOps.Select(TOps.Equal(x, x), default, x), TOps.Multiply(factor, x));
    }
}

/// <summary>(y − 1)·max(log(1 − x), −100) − y·max(log x, −100) (PyTorch's order); derivative (x − y)/max(x(1 − x), 1e-12), as PyTorch.</summary>
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
        // PyTorch's (y − 1)·log(1 − x) − y·log x: for y = 1 the first product is exactly 0, so a loss near 0 (x near 1)
        // keeps its digits, which y·(log x − log(1 − x)) + log(1 − x) would cancel away.
        TV loss = TOps.Subtract(TOps.Multiply(TOps.Subtract(y, one), logComplement), TOps.Multiply(y, logX));
        derivative = TOps.Divide(TOps.Subtract(x, y), TOps.MaxFast(TOps.Multiply(x, complement), TOps.Create(T.CreateTruncating(1e-12f))));
        return loss;
    }
}

/// <summary>
/// (1 − y)·x + (1 + (pw − 1)·y)·softplus(−x) written as a sum of non-negative terms (pw ≥ 0, y ∈ [0, 1]):
/// Linear + (1 + (pw − 1)·y)·log1p(e^−|x|); derivative (1 − y)·σ(x) − pw·y·σ(−x), which for y ∈ {0, 1} is one term.
/// </summary>
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
        // log1p(e^−|x|) shares the sigmoid's e^−|x|, so one exp per element.
        Sigmoid<T>.Sigmoids<TOps, TV>(x, out TV sigmoid, out TV complement, out TV e);
        TV positiveWeight = TOps.Multiply(p, y);
        TV oneMinusY = TOps.Subtract(one, y);
        derivative = TOps.Subtract(TOps.Multiply(oneMinusY, sigmoid), TOps.Multiply(positiveWeight, complement));
        return TOps.MultiplyAdd(logWeight, VectorMath<TOps, TV, T>.Log1P(e), Sigmoid<T>.Linear<TOps, TV>(x, oneMinusY, positiveWeight));
    }
}
