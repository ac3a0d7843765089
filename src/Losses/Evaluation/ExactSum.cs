using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Losses;

/// <summary>
/// The exact sum of any number of doubles (a fixed-point superaccumulator over the whole double range), rounded once,
/// to nearest, when read. The value is an integer number of units of 2⁻¹⁰⁷⁴ (the smallest subnormal) held in 32-bit
/// digits stored in signed 64-bit limbs, so each addition touches three limbs and carries are propagated only every
/// 2³⁰ additions or when the sum is read, merged or written. Because the sum is exact, the same values added in any order,
/// in any grouping, on any number of threads or machines, give the same bits, and <see cref="ToString"/> is canonical.
/// </summary>
/// <remarks>
/// Non-finite terms are kept apart: any NaN, or +∞ together with −∞, makes the sum NaN; otherwise a +∞ (−∞) term makes it
/// +∞ (−∞). Those rules do not depend on the order either. The finite part is exact for up to 2⁶⁰ terms of any size.
/// </remarks>
internal sealed class ExactSum
{
    private const int Bias = 1074;
    private const int Limbs = 70;
    private const int FlushEvery = 1 << 30;

    private readonly long[] _limbs = new long[Limbs];
    private int _pending;
    private bool _nan;
    private bool _positiveInfinity;
    private bool _negativeInfinity;

    /// <summary>Adds <paramref name="value"/> exactly.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Add(double value)
    {
        if (!double.IsFinite(value))
        {
            AddSpecial(value);
        }
        else
        {
            AddFiniteTo(ref MemoryMarshal.GetArrayDataReference(_limbs), value);
        }
        if (++_pending == FlushEvery)
        {
            Normalize();
        }
    }

    /// <summary>
    /// Adds the finite <paramref name="value"/> exactly to the limbs at <paramref name="limbs"/> (this sum's, or a scratch
    /// set of the same layout): three limbs, no branch; the caller counts the addition.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddFiniteTo(ref long limbs, double value)
    {
        long bits = BitConverter.DoubleToInt64Bits(value);
        int exponent = (int)((bits >> 52) & 0x7FF);
        // A normal number has the implicit bit and the exponent of a subnormal one more: value = ±mantissa · 2^(exponent − 1074),
        // the mantissa's lowest bit at bit `exponent` of the fixed point.
        int normal = exponent != 0 ? 1 : 0;
        ulong mantissa = ((ulong)bits & 0xF_FFFF_FFFF_FFFF) | ((ulong)normal << 52);
        exponent -= normal;
        // The signed mantissa m (two's complement, sign from the bits without a branch) shifted by s < 32 spans 86 bits:
        // its low 64 bits as two unsigned 32-bit digits, and the signed high part m >> (64 − s), written as
        // (m >> 1) >> (63 − s) so that s = 0 gives the sign alone (a 64-bit shift count wraps). Plain 64-bit shifts: UInt128's are calls.
        int shift = exponent & 31;
        long sign = bits >> 63;
        long signed = ((long)mantissa ^ sign) - sign;
        ulong low = (ulong)(signed << shift);
        long d0 = (long)(low & 0xFFFF_FFFF);
        long d1 = (long)(low >> 32);
        long d2 = (signed >> 1) >> (63 - shift);
        ref long limb = ref Unsafe.Add(ref limbs, exponent >> 5);
        limb += d0;
        Unsafe.Add(ref limb, 1) += d1;
        Unsafe.Add(ref limb, 2) += d2;
    }

    private void AddSpecial(double value)
    {
        if (double.IsNaN(value))
        {
            _nan = true;
        }
        else if (value > 0)
        {
            _positiveInfinity = true;
        }
        else
        {
            _negativeInfinity = true;
        }
    }

    /// <summary>Adds another exact sum (exactly).</summary>
    public void Add(ExactSum other)
    {
        other.Normalize();
        Normalize();
        for (int i = 0; i < Limbs; i++)
        {
            _limbs[i] += other._limbs[i];
        }
        _nan |= other._nan;
        _positiveInfinity |= other._positiveInfinity;
        _negativeInfinity |= other._negativeInfinity;
        Normalize();
    }

    /// <summary>
    /// Adds every value of <paramref name="values"/> exactly. All finite (checked first, vectorised): alternate values go
    /// to this sum's limbs and to a scratch set on the stack (folded in at the end), in a loop with no call, so that
    /// nothing is kept in memory across one; otherwise value by value.
    /// </summary>
    [SkipLocalsInit]
    public void Add(ReadOnlySpan<double> values)
    {
        if (!AllFinite(values))
        {
            foreach (double v in values)
            {
                Add(v);
            }
            return;
        }
        Span<long> scratch = stackalloc long[Limbs];
        ref long mine = ref MemoryMarshal.GetArrayDataReference(_limbs);
        ref long other = ref MemoryMarshal.GetReference(scratch);
        while (!values.IsEmpty)
        {
            if (_pending >= FlushEvery / 2)
            {
                Normalize();
            }
            int n = Math.Min(values.Length, FlushEvery / 2);
            scratch.Clear();
            ref double value = ref MemoryMarshal.GetReference(values);
            int i = 0;
            for (; i + 1 < n; i += 2)
            {
                AddFiniteTo(ref mine, Unsafe.Add(ref value, i));
                AddFiniteTo(ref other, Unsafe.Add(ref value, i + 1));
            }
            if (i < n)
            {
                AddFiniteTo(ref mine, Unsafe.Add(ref value, i));
            }
            for (int limb = 0; limb < Limbs; limb++)
            {
                Unsafe.Add(ref mine, limb) += Unsafe.Add(ref other, limb);
            }
            _pending += n;
            values = values[n..];
        }
    }

    /// <summary>Whether no value is ±∞ or NaN (all exponent bits set).</summary>
    private static bool AllFinite(ReadOnlySpan<double> values)
    {
        ReadOnlySpan<long> bits = MemoryMarshal.Cast<double, long>(values);
        const long exponentBits = 0x7FF0_0000_0000_0000;
        var mask = new Vector<long>(exponentBits);
        var special = Vector<long>.Zero;
        int i = 0;
        for (; i + Vector<long>.Count <= bits.Length; i += Vector<long>.Count)
        {
            special |= Vector.Equals(new Vector<long>(bits[i..]) & mask, mask);
        }
        bool any = special != Vector<long>.Zero;
        for (; i < bits.Length; i++)
        {
            any |= (bits[i] & exponentBits) == exponentBits;
        }
        return !any;
    }

    /// <summary>Carries so that every limb but the last holds a digit in [0, 2³²) and the last holds the sign: a unique form.</summary>
    private void Normalize()
    {
        long[] limbs = _limbs;
        long carry = 0;
        for (int i = 0; i < Limbs - 1; i++)
        {
            long v = limbs[i] + carry;
            carry = v >> 32;
            limbs[i] = v & 0xFFFF_FFFF;
        }
        limbs[Limbs - 1] += carry;
        _pending = 0;
    }

    /// <summary>The sum rounded once to the nearest double (ties to even); ±∞ beyond the double range.</summary>
    public double Value
    {
        get
        {
            if (_nan || (_positiveInfinity && _negativeInfinity))
            {
                return double.NaN;
            }
            if (_positiveInfinity || _negativeInfinity)
            {
                return _positiveInfinity ? double.PositiveInfinity : double.NegativeInfinity;
            }
            BigInteger units = Units();
            if (units.IsZero)
            {
                return 0;
            }
            int sign = units.Sign;
            BigInteger magnitude = BigInteger.Abs(units);
            long length = (long)magnitude.GetBitLength();
            double result;
            if (length <= 53)
            {
                // Fits a double's significand: exact, even when the result is subnormal.
                result = Math.ScaleB((double)(ulong)magnitude, -Bias);
            }
            else
            {
                int drop = (int)(length - 53);
                BigInteger kept = magnitude >> drop;
                BigInteger rest = magnitude - (kept << drop);
                BigInteger half = BigInteger.One << (drop - 1);
                if (rest > half || (rest == half && !kept.IsEven))
                {
                    kept += 1;
                }
                // kept ≤ 2^53 is exact in a double, and the scaled result is normal (or overflows to ∞): one rounding.
                result = Math.ScaleB((double)(ulong)kept, drop - Bias);
            }
            return sign < 0 ? -result : result;
        }
    }

    private BigInteger Units()
    {
        Normalize();
        BigInteger units = _limbs[Limbs - 1];
        for (int i = Limbs - 2; i >= 0; i--)
        {
            units = (units << 32) + _limbs[i];
        }
        return units;
    }

    /// <summary>
    /// The exact sum as text: <c>NaN</c>, <c>Infinity</c>, <c>-Infinity</c>, or <c>m</c> or <c>mp-e</c> meaning m·2⁻ᵉ with
    /// m an odd integer (or 0): canonical, so equal sums give equal strings.
    /// </summary>
    public override string ToString()
    {
        if (_nan || (_positiveInfinity && _negativeInfinity))
        {
            return "NaN";
        }
        if (_positiveInfinity || _negativeInfinity)
        {
            return _positiveInfinity ? "Infinity" : "-Infinity";
        }
        BigInteger units = Units();
        if (units.IsZero)
        {
            return "0";
        }
        int exponent = -Bias;
        int zeros = (int)BigInteger.TrailingZeroCount(units);
        units >>= zeros;
        exponent += zeros;
        string digits = units.ToString(CultureInfo.InvariantCulture);
        return exponent == 0 ? digits : string.Create(CultureInfo.InvariantCulture, $"{digits}p{exponent}");
    }

    /// <summary>Reads the text of <see cref="ToString"/>.</summary>
    /// <exception cref="FormatException">The text is not of that form or is outside the accumulator's range.</exception>
    public static ExactSum Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var sum = new ExactSum();
        switch (text)
        {
            case "NaN":
                sum._nan = true;
                return sum;
            case "Infinity":
                sum._positiveInfinity = true;
                return sum;
            case "-Infinity":
                sum._negativeInfinity = true;
                return sum;
        }
        int p = text.IndexOf('p', StringComparison.Ordinal);
        int exponent = p < 0 ? 0 : int.Parse(text.AsSpan(p + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        BigInteger units = BigInteger.Parse(p < 0 ? text : text[..p], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        if (exponent < -Bias || exponent > 1024 + 64)
        {
            throw new FormatException($"The exponent of '{text}' is outside the range of an exact double sum.");
        }
        units <<= exponent + Bias;
        if (units.GetBitLength() > ((Limbs - 1) * 32) - 2)
        {
            throw new FormatException($"'{text}' is outside the range of an exact double sum.");
        }
        bool negative = units.Sign < 0;
        BigInteger magnitude = BigInteger.Abs(units);
        for (int i = 0; i < Limbs && !magnitude.IsZero; i++)
        {
            long digit = (long)(uint)(magnitude & uint.MaxValue);
            sum._limbs[i] = negative ? -digit : digit;
            magnitude >>= 32;
        }
        sum.Normalize();
        return sum;
    }

    /// <summary>A copy that can be added to independently.</summary>
    public ExactSum Clone()
    {
        var copy = new ExactSum { _pending = _pending, _nan = _nan, _positiveInfinity = _positiveInfinity, _negativeInfinity = _negativeInfinity };
        _limbs.CopyTo(copy._limbs, 0);
        return copy;
    }
}
