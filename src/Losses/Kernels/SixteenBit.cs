using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Losses.Kernels;

/// <summary>
/// Loads and stores of elements held as <typeparamref name="T"/>, <see cref="Half"/> or <see cref="BFloat16"/>, in vectors
/// of <typeparamref name="T"/>: a row op reads 16-bit logits in its own loads (one vector of 16-bit values widened to one
/// vector of float), so no widened copy of a batch is ever made. 16-bit elements pair with <typeparamref name="T"/> =
/// float only.
/// </summary>
/// <remarks>
/// Half → float is exact (bits shifted into place and rebiased by a multiplication by 2¹¹², which also normalises
/// subnormals; ±∞ and NaN keep their class). bfloat16 → float is exact (the bits are the upper half of a float). float →
/// Half rounds to nearest, ties to even, as <c>(Half)value</c>: the rounding is done by the floating-point adder (adding and
/// subtracting 2^(e+13) leaves the value on the Half grid of its binade); values from 65520 on give ±∞, NaN gives a quiet
/// NaN.
/// </remarks>
internal static class Elements<TOps, TV, T>
    where TOps : ISimd<TV, T>
    where TV : struct
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>TOps.Count elements of <typeparamref name="TIn"/> from <paramref name="source"/>[index], as T.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Load<TIn>(ref readonly TIn source, nuint index)
        where TIn : unmanaged
    {
        if (typeof(TIn) == typeof(T))
        {
            return TOps.Load(in Unsafe.As<TIn, T>(ref Unsafe.AsRef(in source)), index);
        }
        TV bits = Widen(ref Unsafe.As<TIn, ushort>(ref Unsafe.AsRef(in source)), index);
        return typeof(TIn) == typeof(Half) ? FromHalfBits(bits) : TOps.ShiftLeftBits(bits, 16);
    }

    /// <summary>Stores TOps.Count values at <paramref name="destination"/>[index] as <typeparamref name="TOut"/> (T, Half or bfloat16).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store<TOut>(TV value, ref TOut destination, nuint index)
        where TOut : unmanaged
    {
        if (typeof(TOut) == typeof(T))
        {
            TOps.Store(value, ref Unsafe.As<TOut, T>(ref destination), index);
            return;
        }
        Narrow(typeof(TOut) == typeof(Half) ? ToHalfBits(value) : ToBFloat16Bits(value), ref Unsafe.As<TOut, ushort>(ref destination), index);
    }

    /// <summary>
    /// float to bfloat16 bit patterns in the low 16 bits of each lane, rounded to nearest even, as
    /// <c>(BFloat16)value</c>: adding and subtracting 2^(e+16) for the binade 2^e leaves the value on bfloat16's grid of
    /// that binade (2^(e−7); the smallest normal's grid below it, which is bfloat16's subnormal grid). Magnitudes from
    /// 2¹⁰⁰ on are rounded 2³² lower (exact scaling) so that 2^(e+16) stays finite; values past bfloat16's largest
    /// finite give ∞. A NaN keeps its sign and payload's top bits and is made quiet.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV ToBFloat16Bits(TV value)
    {
        TV magnitude = TOps.Abs(value);
        TV large = TOps.GreaterThanOrEqual(magnitude, TOps.Create(T.CreateTruncating(1.2676506002282294E+30 /* 2¹⁰⁰ */)));
        TV scaled = TOps.Multiply(magnitude, TOps.Select(large, TOps.Create(T.CreateTruncating(2.3283064365386963E-10 /* 2⁻³² */)), TOps.Create(T.One)));
        TV binade = TOps.MaxFast(TOps.And(scaled, TOps.FromBits(0x7F800000)), TOps.Create(T.CreateTruncating(1.1754943508222875E-38 /* 2⁻¹²⁶ */)));
        TV magic = TOps.Multiply(binade, TOps.Create(T.CreateTruncating(65536.0)));
        TV rounded = TOps.Subtract(TOps.Add(scaled, magic), magic);
        rounded = TOps.Multiply(rounded, TOps.Select(large, TOps.Create(T.CreateTruncating(4294967296.0 /* 2³² */)), TOps.Create(T.One)));
        TV infinity = TOps.Create(T.PositiveInfinity);
        rounded = TOps.Select(TOps.Equal(magnitude, infinity), infinity, rounded);
        TV bits = TOps.Or(TOps.ShiftRightBits(rounded, 16), TOps.ShiftRightBits(TOps.And(value, TOps.FromBits(unchecked((int)0x80000000))), 16));
        return TOps.Select(VectorMath<TOps, TV, T>.IsNaN(value), TOps.Or(TOps.ShiftRightBits(value, 16), TOps.FromBits(0x40)), bits);
    }

    /// <summary>One element of <typeparamref name="TIn"/> as T.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T LoadOne<TIn>(ref readonly TIn source, nuint index)
        where TIn : unmanaged =>
        Elements<Scalar<T>, T, T>.Load(in source, index);

    /// <summary>Half bit patterns (zero-extended into the lanes) to float: Giesen's rebias by multiplication.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV FromHalfBits(TV bits)
    {
        TV magnitude = TOps.Multiply(TOps.ShiftLeftBits(TOps.And(bits, TOps.FromBits(0x7FFF)), 13), TOps.Create(T.CreateTruncating(5.192296858534828E+33 /* 2¹¹² */)));
        // Half's ±∞/NaN exponent lands at 2¹⁶ and above: set the float exponent to all ones.
        TV special = TOps.GreaterThanOrEqual(magnitude, TOps.Create(T.CreateTruncating(65536.0)));
        magnitude = TOps.Select(special, TOps.Or(magnitude, TOps.FromBits(0x7F800000)), magnitude);
        return TOps.Or(magnitude, TOps.ShiftLeftBits(TOps.And(bits, TOps.FromBits(0x8000)), 16));
    }

    /// <summary>float to Half bit patterns in the low 16 bits of each lane, rounded to nearest even.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV ToHalfBits(TV value)
    {
        TV magnitude = TOps.MinFast(TOps.Abs(value), TOps.Create(T.CreateTruncating(65536.0)));
        // 2^(e+13) for the binade 2^e of the value (at least that of Half's smallest normal): the adder rounds to Half's grid.
        TV binade = TOps.MaxFast(TOps.And(magnitude, TOps.FromBits(0x7F800000)), TOps.Create(T.CreateTruncating(6.103515625E-05 /* 2⁻¹⁴ */)));
        TV magic = TOps.Multiply(binade, TOps.Create(T.CreateTruncating(8192.0)));
        TV rounded = TOps.MinFast(TOps.Subtract(TOps.Add(magnitude, magic), magic), TOps.Create(T.CreateTruncating(65536.0)));
        // Rebiased by 2⁻¹¹², the float's bits shifted right by 13 are the Half's (65536 becomes 0x7C00, ∞).
        TV bits = TOps.ShiftRightBits(TOps.Multiply(rounded, TOps.Create(T.CreateTruncating(1.925929944387236E-34 /* 2⁻¹¹² */))), 13);
        bits = TOps.Or(bits, TOps.ShiftRightBits(TOps.And(value, TOps.FromBits(unchecked((int)0x80000000))), 16));
        return TOps.Select(VectorMath<TOps, TV, T>.IsNaN(value), TOps.FromBits(0x7E00), bits);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV Widen(ref ushort source, nuint index)
    {
        if (typeof(TV) == typeof(Vector512<float>))
        {
            return Unsafe.BitCast<Vector512<uint>, TV>(Vector512.WidenLower(Vector256.LoadUnsafe(ref source, index).ToVector512Unsafe()));
        }
        if (typeof(TV) == typeof(Vector256<float>))
        {
            return Unsafe.BitCast<Vector256<uint>, TV>(Vector256.WidenLower(Vector128.LoadUnsafe(ref source, index).ToVector256Unsafe()));
        }
        if (typeof(TV) == typeof(Vector128<float>))
        {
            return Unsafe.BitCast<Vector128<uint>, TV>(Vector128.WidenLower(Vector64.LoadUnsafe(ref source, index).ToVector128Unsafe()));
        }
        return Unsafe.BitCast<uint, TV>(Unsafe.Add(ref source, index));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Narrow(TV bits, ref ushort destination, nuint index)
    {
        if (typeof(TV) == typeof(Vector512<float>))
        {
            var lanes = Unsafe.BitCast<TV, Vector512<uint>>(bits);
            Vector512.Narrow(lanes, lanes).GetLower().StoreUnsafe(ref destination, index);
        }
        else if (typeof(TV) == typeof(Vector256<float>))
        {
            var lanes = Unsafe.BitCast<TV, Vector256<uint>>(bits);
            Vector256.Narrow(lanes, lanes).GetLower().StoreUnsafe(ref destination, index);
        }
        else if (typeof(TV) == typeof(Vector128<float>))
        {
            var lanes = Unsafe.BitCast<TV, Vector128<uint>>(bits);
            Vector128.Narrow(lanes, lanes).GetLower().StoreUnsafe(ref destination, index);
        }
        else
        {
            Unsafe.Add(ref destination, index) = (ushort)Unsafe.BitCast<TV, uint>(bits);
        }
    }
}
