using System.Numerics;
using System.Runtime.CompilerServices;

namespace Losses.Kernels;

/// <summary>The elementwise operations shared by the public functions; each is a struct the row drivers inline.</summary>
internal static class ElementOps<TOps, TV, T>
    where TOps : ISimd<TV, T>
    where TV : struct
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>exp(x − shift) · scale: softmax from its normalizer, and the log-sum-exp gradient.</summary>
    public readonly struct ExpShiftScale(TV shift, TV scale) : IUnaryOp<TV>
    {
        private readonly TV _shift = shift;
        private readonly TV _scale = scale;

        public ExpShiftScale(T shift, T scale)
            : this(TOps.Create(shift), TOps.Create(scale))
        {
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public TV Invoke(TV x) => TOps.Multiply(VectorMath<TOps, TV, T>.Exp(TOps.Subtract(x, _shift)), _scale);
    }

    /// <summary>exp(x − shift) with shift ≥ every x (the row's maximum): unnormalised softmax numerators.</summary>
    public readonly struct ExpShift(T shift) : IUnaryOp<TV>
    {
        private readonly TV _shift = TOps.Create(shift);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public TV Invoke(TV x) => VectorMath<TOps, TV, T>.ExpNonPositive(TOps.Subtract(x, _shift));
    }

    /// <summary>x · scale.</summary>
    public readonly struct Scale(TV scale) : IUnaryOp<TV>
    {
        private readonly TV _scale = scale;

        public Scale(T scale)
            : this(TOps.Create(scale))
        {
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public TV Invoke(TV x) => TOps.Multiply(x, _scale);
    }

    /// <summary>(x − first) − second: log-softmax as (x − max) − log Σ, which keeps x − max exact for x near the max.</summary>
    public readonly struct SubtractTwice(TV first, TV second) : IUnaryOp<TV>
    {
        private readonly TV _first = first;
        private readonly TV _second = second;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public TV Invoke(TV x) => TOps.Subtract(TOps.Subtract(x, _first), _second);
    }

    /// <summary>y · (dy − dot): the softmax vector–Jacobian product.</summary>
    public readonly struct SoftmaxVjp(TV dot) : IBinaryOp<TV>
    {
        private readonly TV _dot = dot;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public TV Invoke(TV y, TV dy) => TOps.Multiply(y, TOps.Subtract(dy, _dot));
    }

    /// <summary>dy − exp(logY) · sum: the log-softmax vector–Jacobian product.</summary>
    public readonly struct LogSoftmaxVjp(TV sum) : IBinaryOp<TV>
    {
        private readonly TV _sum = sum;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public TV Invoke(TV logY, TV dy) => TOps.Subtract(dy, TOps.Multiply(VectorMath<TOps, TV, T>.Exp(logY), _sum));
    }
}
