using System.Numerics;
using System.Runtime.CompilerServices;

namespace Losses.Kernels;

/// <summary>
/// Elementary functions on any <see cref="ISimd{TV, T}"/> width, written once and inlined into every kernel.
/// The scalar instantiation runs the same polynomial, so every width returns bit-identical values.
/// </summary>
/// <remarks>
/// <para><b>exp</b>: n = round(x·log₂e) by the add-a-magic-constant trick, r = x − n·ln2 in two parts (Cody–Waite, with
/// FMA), e^r by a polynomial (for float a degree-6 minimax fit, relative error 3.1e-9 ≈ 2⁻²⁸; for double the
/// degree-13 Taylor polynomial, truncation below 2⁻⁵⁷; on |r| ≤ ln2/2), then scaled by 2ⁿ with one rounding (vscalef, or two steps of which the first is exact), so that
/// subnormal results are rounded once and large ones overflow to +∞. Measured ≤ 1 ulp against a correctly rounded reference over the whole finite range (tests sweep it); exp(0) = 1
/// exactly; exp(−∞) = 0; exp(+∞) = +∞; NaN → NaN.</para>
/// <para><b>log</b>: x = 2ᵉ·m with m in [√½, √2), f = m − 1, s = f/(2 + f), log(1 + f) = 2·atanh(s) by its Taylor series
/// in s² (4 terms for float, 10 for double), recombined as f − ½f² + s(½f² + R) so that the leading terms are exact.
/// Subnormal inputs are rescaled first. log(0) = −∞, log(x &lt; 0) = NaN, log(+∞) = +∞.</para>
/// <para><b>log1p</b>: log(u) + (y − (u − 1))/u with u = 1 + y, which restores the bits of y lost in forming u, so
/// log1p(1e-7f) = 9.9999995e-8 (not the 1.19e-7 of log(1 + y)).</para>
/// </remarks>
internal static class VectorMath<TOps, TV, T>
    where TOps : ISimd<TV, T>
    where TV : struct
    where T : unmanaged, IFloatingPointIeee754<T>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV C(double value) => TOps.Create(T.CreateTruncating(value));

    /// <summary>A mask of the NaN lanes of <paramref name="x"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV IsNaN(TV x) => TOps.Equal(TOps.Equal(x, x), default);

    /// <summary>e^x for each lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Exp(TV x) => Exp(x, nonPositive: false);

    /// <summary>
    /// e^x for lanes known to be ≤ 0 (or NaN, or −∞): x − max in the softmax and normalizer loops. Bitwise the same as
    /// <see cref="Exp(TV)"/> there, one operation cheaper (no upper clamp).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV ExpNonPositive(TV x) => Exp(x, nonPositive: true);

    /// <summary>
    /// e^x as a term of a sum of exponentials Σ e^(xᵢ − M) with M the maximum (a softmax normalizer whose exps are not
    /// kept), for x ≤ 0 (or NaN, or −∞). For float, two multiply-adds cheaper than <see cref="Exp(TV)"/>: r = x − n·ln2 in
    /// one multiply-add (ln2 rounded to float, an error of n·1.9e-9 that only the tiny terms see) and a degree-5 polynomial
    /// (relative error 1.05e-7 ≈ 1.8·2⁻²⁴ on |r| ≤ ln2/2, benchmarks/exp-fit.py): ≤ 2 ulp on [−10, 0], ≤ 5 ulp below
    /// (tested by sweeping), so a sum with a term e⁰ is within about 2 ulp of its exact value. For double the same as
    /// <see cref="ExpNonPositive"/>. Every width gives the same bits. Terms that reach the subnormals are rounded into
    /// them, as by <see cref="Exp(TV)"/>: for sums whose other terms are not ≥ 1 (the two-model pass weighs them by
    /// logit differences); <see cref="ExpTermFlushed"/> is cheaper where a term 1 is in the sum.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV ExpTerm(TV x)
    {
        if (typeof(T) != typeof(float))
        {
            return Exp(x, nonPositive: true);
        }
        TV xc = TOps.MaxFast(C(-104.0), x);
        TV p = TermPolynomial(xc, out TV n);
        return TOps.ScaleByPowerOfTwo(p, n);
    }

    /// <summary>
    /// <see cref="ExpTerm"/> for the terms of a sum that has a term e⁰ = 1 (a normalizer shifted by its maximum): the same
    /// bits for x ≥ −86.5 (float; −708 for double), where e^x is a normal number, and 0 below, where a term cannot change
    /// such a sum (it is below 2⁻¹²⁴, under half an ulp of anything ≥ 2⁻¹⁰⁰). So the result is always a normal number
    /// or 0, and 2ⁿ is one product with a power of two built from its bits (no clamps; two steps would be needed for
    /// subnormal results): about five operations fewer than <see cref="ExpTerm"/> without AVX-512's vscalef (clamp and two-step scaling against product, compare and select). No clamp either:
    /// whatever the steps make of a lane below the cut (−∞, −1e30), it is zeroed at the end. NaN → NaN, −∞ → 0, 0 → 1.
    /// Every width gives the same bits.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV ExpTermFlushed(TV x)
    {
        // The type test written out in each condition (not through a local) so that the JIT drops the other branch when it
        // imports the method: otherwise the double polynomial counts against the inlining budget of every float loop.
        if (typeof(T) == typeof(float))
        {
            TV p = TermPolynomial(x, out TV n);
            return TOps.Select(TOps.LessThan(x, C(-86.5)), default, TOps.ScaleNormal(p, n));
        }
        TV q = Polynomial(x, out TV m);
        return TOps.Select(TOps.LessThan(x, C(-708.0)), default, TOps.ScaleNormal(q, m));
    }

    /// <summary>
    /// The float term exp before scaling: n = round(x·log₂e) and e^(x − n·ln2) by the degree-5 polynomial, in [½√2, √2]
    /// for x in the clamped range.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV TermPolynomial(TV x, out TV n)
    {
        TV magic = C(12582912.0);
        n = TOps.Subtract(TOps.MultiplyAdd(x, C(1.4426950408889634), magic), magic);
        TV r = TOps.MultiplyAdd(n, C(-0.6931471805599453), x);
        TV p = C(0.008312479002850235);
        p = TOps.MultiplyAdd(p, r, C(0.04189014336136741));
        p = TOps.MultiplyAdd(p, r, C(0.1666711496291675));
        p = TOps.MultiplyAdd(p, r, C(0.49999231600257826));
        p = TOps.MultiplyAdd(p, r, C(1.0));
        return TOps.MultiplyAdd(p, r, C(1.0));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV Exp(TV x, bool nonPositive)
    {
        // Clamp so that n stays in range; outside [lo, hi] the result is 0 or +inf anyway. x is the second operand: where
        // it is NaN, maxps/minps (and the scalar a > b ? a : b) return it, so NaN flows through to the result.
        TV xc = TOps.MaxFast(C(typeof(T) == typeof(float) ? -104.0 : -746.0), x);
        xc = nonPositive ? xc : TOps.MinFast(C(typeof(T) == typeof(float) ? 89.0 : 710.0), xc);
        TV p = Polynomial(xc, out TV n);
        return TOps.ScaleByPowerOfTwo(p, n);
    }

    /// <summary>
    /// The accurate exp before scaling: n = round(x·log₂e) by the add-a-magic-constant trick, r = x − n·ln2 in two parts,
    /// e^r by the polynomial (see the class remarks).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV Polynomial(TV xc, out TV n)
    {
        // t = x·log2(e) + 1.5·2^p rounds x·log2(e) to the nearest integer n, held in t's low mantissa bits.
        TV magic = C(typeof(T) == typeof(float) ? 12582912.0 : 6755399441055744.0);
        TV t = TOps.MultiplyAdd(xc, C(1.4426950408889634), magic);
        n = TOps.Subtract(t, magic);

        // r = x − n·ln2, with ln2 split so that n·ln2Hi is exact.
        TV r;
        TV p;
        if (typeof(T) == typeof(float))
        {
            r = TOps.MultiplyAdd(n, C(-0.693145751953125), xc);
            r = TOps.MultiplyAdd(n, C(-1.428606765330187e-06), r);
            // 1 + r + r²·Q(r) with Q the degree-4 minimax fit of relative error (Lawson's iteration, benchmarks/exp-fit.py):
            // 3.1e-9 on |r| ≤ ln2/2, below the degree-7 Taylor polynomial's 5.1e-9, with one multiply-add fewer.
            p = C(0.00138145170031472);
            p = TOps.MultiplyAdd(p, r, C(0.00836871099330207));
            p = TOps.MultiplyAdd(p, r, C(0.041668388716187665));
            p = TOps.MultiplyAdd(p, r, C(0.1666652068348714));
            p = TOps.MultiplyAdd(p, r, C(0.4999999344804161));
        }
        else
        {
            r = TOps.MultiplyAdd(n, C(-0.6931471803691238), xc);
            r = TOps.MultiplyAdd(n, C(-1.9082149292705877e-10), r);
            p = C(1.0 / 6227020800);
            p = TOps.MultiplyAdd(p, r, C(1.0 / 479001600));
            p = TOps.MultiplyAdd(p, r, C(1.0 / 39916800));
            p = TOps.MultiplyAdd(p, r, C(1.0 / 3628800));
            p = TOps.MultiplyAdd(p, r, C(1.0 / 362880));
            p = TOps.MultiplyAdd(p, r, C(1.0 / 40320));
            p = TOps.MultiplyAdd(p, r, C(1.0 / 5040));
            p = TOps.MultiplyAdd(p, r, C(1.0 / 720));
            p = TOps.MultiplyAdd(p, r, C(1.0 / 120));
            p = TOps.MultiplyAdd(p, r, C(1.0 / 24));
            p = TOps.MultiplyAdd(p, r, C(1.0 / 6));
            p = TOps.MultiplyAdd(p, r, C(0.5));
        }
        p = TOps.MultiplyAdd(p, r, C(1.0));
        return TOps.MultiplyAdd(p, r, C(1.0));
    }

    /// <summary>
    /// x · 2ⁿ without AVX-512 (x in [½, 2)): while every lane's result is a normal number (n in [−125, 127] for float,
    /// [−1021, 1023] for double), one product with 2ⁿ built from its bits, exactly; a vector with a lane that reaches the
    /// subnormals or overflows takes <see cref="ScaleTwoStep"/>. The same bits either way, and those of vscalef.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV ScaleWithoutInstruction(TV x, TV n) =>
        TOps.AnyGreaterThan(TOps.Abs(TOps.Subtract(n, C(1.0))), C(typeof(T) == typeof(float) ? 126.0 : 1022.0))
            ? ScaleTwoStep(x, n)
            : TOps.Multiply(x, Pow2(n));

    /// <summary>
    /// x · 2ⁿ without AVX-512: 2ⁿ = 2^n1 · 2^n2 with n1 clamped to the normal exponent range and n2 = n − n1 small, so
    /// both factors are normal numbers, the first product is exact (a normal number) for x in [½, 2) and the second rounds once (into
    /// the subnormals or to +∞) — the same result as vscalef.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV ScaleTwoStep(TV x, TV n)
    {
        TV n1 = TOps.MinFast(TOps.MaxFast(n, C(typeof(T) == typeof(float) ? -125.0 : -1021.0)), C(typeof(T) == typeof(float) ? 127.0 : 1023.0));
        TV n2 = TOps.Subtract(n, n1);
        return TOps.Multiply(TOps.Multiply(x, Pow2(n1)), Pow2(n2));
    }

    /// <summary>2^k for integral k in the normal exponent range, built from the bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV Pow2(TV k)
    {
        // k + 1.5·2^p + bias holds (k + bias) in its low mantissa bits; shifting them into the exponent field drops
        // the magic's own bits off the top.
        TV biased = TOps.Add(k, C(typeof(T) == typeof(float) ? 12582912.0 + 127 : 6755399441055744.0 + 1023));
        return TOps.ShiftLeftBits(biased, typeof(T) == typeof(float) ? 23 : 52);
    }

    /// <summary>Natural logarithm of each lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Log(TV x)
    {
        int mantissaBits = typeof(T) == typeof(float) ? 23 : 52;

        // Subnormals: scale into the normal range first and remember the exponent offset.
        TV tiny = TOps.LessThan(x, C(typeof(T) == typeof(float) ? 1.1754943508222875e-38 : 2.2250738585072014e-308));
        TV scaled = TOps.Select(tiny, TOps.Multiply(x, C(typeof(T) == typeof(float) ? 16777216.0 : 18014398509481984.0)), x);
        TV exponentOffset = TOps.Select(tiny, C(typeof(T) == typeof(float) ? -24.0 : -54.0), TOps.Create(T.Zero));

        // Exponent as a number: put the biased exponent bits under the mantissa of 2^p and subtract 2^p.
        TV exponentBits = TOps.ShiftRightBits(scaled, mantissaBits);
        TV twoToP = C(typeof(T) == typeof(float) ? 8388608.0 : 4503599627370496.0);
        TV e = TOps.Subtract(TOps.Or(exponentBits, twoToP), twoToP);
        e = TOps.Add(e, TOps.Add(exponentOffset, C(typeof(T) == typeof(float) ? -127.0 : -1023.0)));

        // Mantissa m in [1, 2), then folded into [√½, √2).
        TV mantissaMask = TOps.FromBits(typeof(T) == typeof(float) ? 0x007FFFFF : 0x000FFFFFFFFFFFFF);
        TV m = TOps.Or(TOps.And(scaled, mantissaMask), TOps.Create(T.One));
        TV high = TOps.GreaterThanOrEqual(m, C(1.4142135623730951));
        m = TOps.Select(high, TOps.Multiply(m, C(0.5)), m);
        e = TOps.Select(high, TOps.Add(e, C(1.0)), e);

        TV f = TOps.Subtract(m, C(1.0));
        TV s = TOps.Divide(f, TOps.Add(f, C(2.0)));
        TV z = TOps.Multiply(s, s);
        TV poly;
        if (typeof(T) == typeof(float))
        {
            poly = C(2.0 / 9);
            poly = TOps.MultiplyAdd(poly, z, C(2.0 / 7));
            poly = TOps.MultiplyAdd(poly, z, C(2.0 / 5));
            poly = TOps.MultiplyAdd(poly, z, C(2.0 / 3));
        }
        else
        {
            poly = C(2.0 / 21);
            poly = TOps.MultiplyAdd(poly, z, C(2.0 / 19));
            poly = TOps.MultiplyAdd(poly, z, C(2.0 / 17));
            poly = TOps.MultiplyAdd(poly, z, C(2.0 / 15));
            poly = TOps.MultiplyAdd(poly, z, C(2.0 / 13));
            poly = TOps.MultiplyAdd(poly, z, C(2.0 / 11));
            poly = TOps.MultiplyAdd(poly, z, C(2.0 / 9));
            poly = TOps.MultiplyAdd(poly, z, C(2.0 / 7));
            poly = TOps.MultiplyAdd(poly, z, C(2.0 / 5));
            poly = TOps.MultiplyAdd(poly, z, C(2.0 / 3));
        }
        TV rTerm = TOps.Multiply(poly, z);
        TV halfF2 = TOps.Multiply(TOps.Multiply(f, f), C(0.5));

        // log x = e·ln2Hi + (f − (½f² − (s(½f² + R) + e·ln2Lo)))
        TV inner = TOps.MultiplyAdd(s, TOps.Add(halfF2, rTerm), TOps.Multiply(e, C(typeof(T) == typeof(float) ? 1.428606765330187e-06 : 1.9082149292705877e-10)));
        TV result = TOps.Add(TOps.Subtract(f, TOps.Subtract(halfF2, inner)), TOps.Multiply(e, C(typeof(T) == typeof(float) ? 0.693145751953125 : 0.6931471803691238)));

        // log(0) = −inf, log(+inf) = +inf, log(negative or NaN) = NaN.
        result = TOps.Select(TOps.Equal(x, TOps.Create(T.Zero)), TOps.Create(T.NegativeInfinity), result);
        result = TOps.Select(TOps.Equal(x, TOps.Create(T.PositiveInfinity)), x, result);
        TV valid = TOps.GreaterThanOrEqual(x, TOps.Create(T.Zero));
        return TOps.Select(valid, result, TOps.Create(T.NaN));
    }

    /// <summary>log(1 + y) for each lane, accurate for tiny y.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Log1P(TV y)
    {
        TV one = TOps.Create(T.One);
        TV u = TOps.Add(one, y);
        TV correction = TOps.Divide(TOps.Subtract(y, TOps.Subtract(u, one)), u);
        TV logU = Log(u);

        // Where the correction is meaningless (u = 0 or +inf, y NaN), log(u) is the answer.
        TV finiteNonZero = TOps.And(TOps.LessThan(u, TOps.Create(T.PositiveInfinity)), TOps.LessThan(TOps.Create(T.Zero), u));
        return TOps.Select(finiteNonZero, TOps.Add(logU, correction), logU);
    }

    /// <summary>softplus(x) = log(1 + eˣ) = max(x, 0) + log1p(e^−|x|), exact to a few ulp for every x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Softplus(TV x)
    {
        TV zero = TOps.Create(T.Zero);
        TV tail = Log1P(Exp(TOps.Subtract(zero, TOps.Abs(x))));
        TV positive = TOps.MaxFast(x, zero);
        TV result = TOps.Add(positive, tail);
        return TOps.Select(TOps.Equal(x, x), result, x);
    }
}
