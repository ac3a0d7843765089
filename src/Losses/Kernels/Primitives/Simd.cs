using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Losses.Kernels;

/// <summary>
/// The operations every kernel needs from a vector of <typeparamref name="T"/>, abstracted over its width so that one
/// generic loop serves Vector512, Vector256, Vector128 and plain scalars (<c>TV = T</c>, one lane). All members are
/// static and aggressively inlined: once the JIT knows <typeparamref name="TV"/> the abstraction costs nothing.
/// </summary>
/// <remarks>
/// Masks are values of <typeparamref name="TV"/> with all bits set (true) or clear (false) per lane, as the hardware
/// compares produce them. In the scalar implementation a true mask is <c>T.AllBitsSet</c>, which is a NaN.
/// </remarks>
internal interface ISimd<TV, T>
    where TV : struct
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Lanes per vector.</summary>
    static abstract int Count { get; }

    /// <summary>Lane indices 0, 1, …, Count − 1.</summary>
    static abstract TV Indices { get; }

    static abstract TV Create(T value);
    static abstract TV Load(ref readonly T source, nuint index);
    static abstract void Store(TV value, ref T destination, nuint index);

    static abstract TV Add(TV a, TV b);
    static abstract TV Subtract(TV a, TV b);
    static abstract TV Multiply(TV a, TV b);
    static abstract TV Divide(TV a, TV b);

    /// <summary>a · b + c, fused (one rounding).</summary>
    static abstract TV MultiplyAdd(TV a, TV b, TV c);

    /// <summary>Lane-wise minimum; which operand a NaN lane yields is unspecified (callers fix NaN up themselves).</summary>
    static abstract TV MinFast(TV a, TV b);

    /// <summary>Lane-wise maximum; which operand a NaN lane yields is unspecified (callers fix NaN up themselves).</summary>
    static abstract TV MaxFast(TV a, TV b);

    static abstract TV Abs(TV a);
    static abstract TV Equal(TV a, TV b);
    static abstract TV LessThan(TV a, TV b);
    static abstract TV GreaterThanOrEqual(TV a, TV b);
    static abstract bool AnyGreaterThan(TV a, TV b);
    static abstract TV Select(TV mask, TV whenTrue, TV whenFalse);
    static abstract TV And(TV a, TV b);
    static abstract TV Or(TV a, TV b);

    /// <summary>Shifts the bits of each lane, read as an integer of the lane's size, left.</summary>
    static abstract TV ShiftLeftBits(TV a, int count);

    /// <summary>Shifts the bits of each lane, read as an unsigned integer of the lane's size, right.</summary>
    static abstract TV ShiftRightBits(TV a, int count);

    /// <summary>A vector whose lanes have the bit pattern <paramref name="bits"/> (an integer of the lane's size).</summary>
    static abstract TV FromBits(long bits);

    static abstract T GetElement(TV a, int index);

    /// <summary>The sum of the lanes (pairwise, in <typeparamref name="T"/>).</summary>
    static abstract T Sum(TV a);

    /// <summary>The largest lane (by halving; which NaN lane wins, if any, is unspecified).</summary>
    static abstract T MaxAcross(TV a);

    /// <summary>
    /// x · 2ⁿ for integral n in [−300, 300] (float) or [−2200, 2200] (double), correctly rounded: one rounding, into
    /// the subnormals or to ±∞. One instruction (vscalef) where AVX-512 is available.
    /// </summary>
    static abstract TV ScaleByPowerOfTwo(TV x, TV n);

    /// <summary>
    /// x · 2ⁿ for results known to be normal numbers (x in [½, 2), n in [−125, 127] for float, [−1021, 1023] for double)
    /// or NaN: vscalef where AVX-512 is available, otherwise one product with 2ⁿ built from its bits (no clamps).
    /// </summary>
    static abstract TV ScaleNormal(TV x, TV n);
}

/// <summary>
/// A test hook: with the environment variable <c>LOSSES_SOFTWARE_VECTOR512=1</c> the row paths pick <see cref="V512{T}"/>
/// on a machine without AVX-512, so that the 16-lane bodies, tails and masks run (slowly, in .NET's software
/// <see cref="Vector512{T}"/>) and can be tested on AVX2 hardware. The AVX-512-only instructions (vscalef, the block
/// transposes) keep their own <c>Avx512F.IsSupported</c> checks and stay untested without the hardware. Read once; a
/// static readonly the JIT folds, so it costs nothing when unset.
/// </summary>
internal static class SoftwareVector512
{
    public static readonly bool Enabled = Environment.GetEnvironmentVariable("LOSSES_SOFTWARE_VECTOR512") == "1";
}

/// <summary>Vector512 lanes.</summary>
internal readonly struct V512<T> : ISimd<Vector512<T>, T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public static bool IsAccelerated => (Vector512.IsHardwareAccelerated || SoftwareVector512.Enabled) && Vector512<T>.IsSupported;
    public static int Count => Vector512<T>.Count;
    public static Vector512<T> Indices => Vector512<T>.Indices;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> Create(T value) => Vector512.Create(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> Load(ref readonly T source, nuint index) => Vector512.LoadUnsafe(in source, index);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Vector512<T> value, ref T destination, nuint index) => value.StoreUnsafe(ref destination, index);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> Add(Vector512<T> a, Vector512<T> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> Subtract(Vector512<T> a, Vector512<T> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> Multiply(Vector512<T> a, Vector512<T> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> Divide(Vector512<T> a, Vector512<T> b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> MultiplyAdd(Vector512<T> a, Vector512<T> b, Vector512<T> c) =>
        typeof(T) == typeof(float)
            ? Vector512.FusedMultiplyAdd(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>()
            : Vector512.FusedMultiplyAdd(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> MinFast(Vector512<T> a, Vector512<T> b) => Vector512.MinNative(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> MaxFast(Vector512<T> a, Vector512<T> b) => Vector512.MaxNative(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> Abs(Vector512<T> a) => Vector512.Abs(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> Equal(Vector512<T> a, Vector512<T> b) => Vector512.Equals(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> LessThan(Vector512<T> a, Vector512<T> b) => Vector512.LessThan(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> GreaterThanOrEqual(Vector512<T> a, Vector512<T> b) => Vector512.GreaterThanOrEqual(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static bool AnyGreaterThan(Vector512<T> a, Vector512<T> b) => Vector512.GreaterThanAny(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> Select(Vector512<T> mask, Vector512<T> whenTrue, Vector512<T> whenFalse) => Vector512.ConditionalSelect(mask, whenTrue, whenFalse);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> And(Vector512<T> a, Vector512<T> b) => a & b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> Or(Vector512<T> a, Vector512<T> b) => a | b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> ShiftLeftBits(Vector512<T> a, int count) =>
        typeof(T) == typeof(float) ? (a.AsInt32() << count).As<int, T>() : (a.AsInt64() << count).As<long, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> ShiftRightBits(Vector512<T> a, int count) =>
        typeof(T) == typeof(float) ? (a.AsUInt32() >>> count).As<uint, T>() : (a.AsUInt64() >>> count).As<ulong, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> FromBits(long bits) =>
        typeof(T) == typeof(float) ? Vector512.Create((int)bits).As<int, T>() : Vector512.Create(bits).As<long, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static T GetElement(Vector512<T> a, int index) => a.GetElement(index);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static T Sum(Vector512<T> a) => Vector512.Sum(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static T MaxAcross(Vector512<T> a) => V256<T>.MaxAcross(Vector256.MaxNative(a.GetLower(), a.GetUpper()));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> ScaleByPowerOfTwo(Vector512<T> x, Vector512<T> n)
    {
        if (Avx512F.IsSupported)
        {
            return typeof(T) == typeof(float)
                ? Avx512F.Scale(x.AsSingle(), n.AsSingle()).As<float, T>()
                : Avx512F.Scale(x.AsDouble(), n.AsDouble()).As<double, T>();
        }
        return VectorMath<V512<T>, Vector512<T>, T>.ScaleWithoutInstruction(x, n);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> ScaleNormal(Vector512<T> x, Vector512<T> n) =>
        Avx512F.IsSupported ? ScaleByPowerOfTwo(x, n) : x * VectorMath<V512<T>, Vector512<T>, T>.Pow2(n);
}

/// <summary>Vector256 lanes.</summary>
internal readonly struct V256<T> : ISimd<Vector256<T>, T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public static bool IsAccelerated => Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported;
    public static int Count => Vector256<T>.Count;
    public static Vector256<T> Indices => Vector256<T>.Indices;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> Create(T value) => Vector256.Create(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> Load(ref readonly T source, nuint index) => Vector256.LoadUnsafe(in source, index);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Vector256<T> value, ref T destination, nuint index) => value.StoreUnsafe(ref destination, index);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> Add(Vector256<T> a, Vector256<T> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> Subtract(Vector256<T> a, Vector256<T> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> Multiply(Vector256<T> a, Vector256<T> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> Divide(Vector256<T> a, Vector256<T> b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> MultiplyAdd(Vector256<T> a, Vector256<T> b, Vector256<T> c) =>
        typeof(T) == typeof(float)
            ? Vector256.FusedMultiplyAdd(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>()
            : Vector256.FusedMultiplyAdd(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> MinFast(Vector256<T> a, Vector256<T> b) => Vector256.MinNative(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> MaxFast(Vector256<T> a, Vector256<T> b) => Vector256.MaxNative(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> Abs(Vector256<T> a) => Vector256.Abs(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> Equal(Vector256<T> a, Vector256<T> b) => Vector256.Equals(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> LessThan(Vector256<T> a, Vector256<T> b) => Vector256.LessThan(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> GreaterThanOrEqual(Vector256<T> a, Vector256<T> b) => Vector256.GreaterThanOrEqual(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static bool AnyGreaterThan(Vector256<T> a, Vector256<T> b) => Vector256.GreaterThanAny(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> Select(Vector256<T> mask, Vector256<T> whenTrue, Vector256<T> whenFalse) => Vector256.ConditionalSelect(mask, whenTrue, whenFalse);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> And(Vector256<T> a, Vector256<T> b) => a & b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> Or(Vector256<T> a, Vector256<T> b) => a | b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> ShiftLeftBits(Vector256<T> a, int count) =>
        typeof(T) == typeof(float) ? (a.AsInt32() << count).As<int, T>() : (a.AsInt64() << count).As<long, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> ShiftRightBits(Vector256<T> a, int count) =>
        typeof(T) == typeof(float) ? (a.AsUInt32() >>> count).As<uint, T>() : (a.AsUInt64() >>> count).As<ulong, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> FromBits(long bits) =>
        typeof(T) == typeof(float) ? Vector256.Create((int)bits).As<int, T>() : Vector256.Create(bits).As<long, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static T GetElement(Vector256<T> a, int index) => a.GetElement(index);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static T Sum(Vector256<T> a) => Vector256.Sum(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static T MaxAcross(Vector256<T> a) => V128<T>.MaxAcross(Vector128.MaxNative(a.GetLower(), a.GetUpper()));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> ScaleByPowerOfTwo(Vector256<T> x, Vector256<T> n)
    {
        if (Avx512F.VL.IsSupported)
        {
            return typeof(T) == typeof(float)
                ? Avx512F.VL.Scale(x.AsSingle(), n.AsSingle()).As<float, T>()
                : Avx512F.VL.Scale(x.AsDouble(), n.AsDouble()).As<double, T>();
        }
        return VectorMath<V256<T>, Vector256<T>, T>.ScaleWithoutInstruction(x, n);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> ScaleNormal(Vector256<T> x, Vector256<T> n) =>
        Avx512F.VL.IsSupported ? ScaleByPowerOfTwo(x, n) : x * VectorMath<V256<T>, Vector256<T>, T>.Pow2(n);
}

/// <summary>Vector128 lanes.</summary>
internal readonly struct V128<T> : ISimd<Vector128<T>, T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public static bool IsAccelerated => Vector128.IsHardwareAccelerated && Vector128<T>.IsSupported;
    public static int Count => Vector128<T>.Count;
    public static Vector128<T> Indices => Vector128<T>.Indices;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<T> Create(T value) => Vector128.Create(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<T> Load(ref readonly T source, nuint index) => Vector128.LoadUnsafe(in source, index);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Vector128<T> value, ref T destination, nuint index) => value.StoreUnsafe(ref destination, index);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<T> Add(Vector128<T> a, Vector128<T> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<T> Subtract(Vector128<T> a, Vector128<T> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<T> Multiply(Vector128<T> a, Vector128<T> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<T> Divide(Vector128<T> a, Vector128<T> b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<T> MultiplyAdd(Vector128<T> a, Vector128<T> b, Vector128<T> c) =>
        typeof(T) == typeof(float)
            ? Vector128.FusedMultiplyAdd(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>()
            : Vector128.FusedMultiplyAdd(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<T> MinFast(Vector128<T> a, Vector128<T> b) => Vector128.MinNative(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<T> MaxFast(Vector128<T> a, Vector128<T> b) => Vector128.MaxNative(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<T> Abs(Vector128<T> a) => Vector128.Abs(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<T> Equal(Vector128<T> a, Vector128<T> b) => Vector128.Equals(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<T> LessThan(Vector128<T> a, Vector128<T> b) => Vector128.LessThan(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<T> GreaterThanOrEqual(Vector128<T> a, Vector128<T> b) => Vector128.GreaterThanOrEqual(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static bool AnyGreaterThan(Vector128<T> a, Vector128<T> b) => Vector128.GreaterThanAny(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<T> Select(Vector128<T> mask, Vector128<T> whenTrue, Vector128<T> whenFalse) => Vector128.ConditionalSelect(mask, whenTrue, whenFalse);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<T> And(Vector128<T> a, Vector128<T> b) => a & b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<T> Or(Vector128<T> a, Vector128<T> b) => a | b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> ShiftLeftBits(Vector128<T> a, int count) =>
        typeof(T) == typeof(float) ? (a.AsInt32() << count).As<int, T>() : (a.AsInt64() << count).As<long, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> ShiftRightBits(Vector128<T> a, int count) =>
        typeof(T) == typeof(float) ? (a.AsUInt32() >>> count).As<uint, T>() : (a.AsUInt64() >>> count).As<ulong, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> FromBits(long bits) =>
        typeof(T) == typeof(float) ? Vector128.Create((int)bits).As<int, T>() : Vector128.Create(bits).As<long, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static T GetElement(Vector128<T> a, int index) => a.GetElement(index);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static T Sum(Vector128<T> a) => Vector128.Sum(a);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T MaxAcross(Vector128<T> a)
    {
        if (typeof(T) == typeof(float))
        {
            Vector128<float> v = a.AsSingle();
            v = Vector128.MaxNative(v, Vector128.Shuffle(v, Vector128.Create(2, 3, 0, 1)));
            v = Vector128.MaxNative(v, Vector128.Shuffle(v, Vector128.Create(1, 0, 3, 2)));
            return (T)(object)v.ToScalar();
        }
        T first = a.GetElement(0);
        T second = a.GetElement(1);
        return first > second ? first : second;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> ScaleByPowerOfTwo(Vector128<T> x, Vector128<T> n)
    {
        if (Avx512F.VL.IsSupported)
        {
            return typeof(T) == typeof(float)
                ? Avx512F.VL.Scale(x.AsSingle(), n.AsSingle()).As<float, T>()
                : Avx512F.VL.Scale(x.AsDouble(), n.AsDouble()).As<double, T>();
        }
        return VectorMath<V128<T>, Vector128<T>, T>.ScaleWithoutInstruction(x, n);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> ScaleNormal(Vector128<T> x, Vector128<T> n) =>
        Avx512F.VL.IsSupported ? ScaleByPowerOfTwo(x, n) : x * VectorMath<V128<T>, Vector128<T>, T>.Pow2(n);
}

/// <summary>One lane: the scalar path, used when no vector width is accelerated or a row is shorter than a Vector128.</summary>
internal readonly struct Scalar<T> : ISimd<T, T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Count => 1;
    public static T Indices => T.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static T Create(T value) => value;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static T Load(ref readonly T source, nuint index) => Unsafe.Add(ref Unsafe.AsRef(in source), index);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(T value, ref T destination, nuint index) => Unsafe.Add(ref destination, index) = value;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static T Add(T a, T b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static T Subtract(T a, T b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static T Multiply(T a, T b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static T Divide(T a, T b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static T MultiplyAdd(T a, T b, T c) => T.FusedMultiplyAdd(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static T MinFast(T a, T b) => a < b ? a : b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static T MaxFast(T a, T b) => a > b ? a : b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static T Abs(T a) => T.Abs(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static T Equal(T a, T b) => a == b ? True : T.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static T LessThan(T a, T b) => a < b ? True : T.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static T GreaterThanOrEqual(T a, T b) => a >= b ? True : T.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static bool AnyGreaterThan(T a, T b) => a > b;

    // A true mask has all bits set, which is a NaN; a false mask is +0.
    private static T True => FromBits(-1);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static T Select(T mask, T whenTrue, T whenFalse) => T.IsNaN(mask) ? whenTrue : whenFalse;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static T And(T a, T b) => FromBits(Bits(a) & Bits(b));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static T Or(T a, T b) => FromBits(Bits(a) | Bits(b));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static long Bits(T a) => typeof(T) == typeof(float) ? Unsafe.BitCast<T, int>(a) : Unsafe.BitCast<T, long>(a);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T ShiftLeftBits(T a, int count)
    {
        if (typeof(T) == typeof(float))
        {
            int bits = Unsafe.BitCast<T, int>(a) << count;
            return Unsafe.BitCast<int, T>(bits);
        }
        long wide = Unsafe.BitCast<T, long>(a) << count;
        return Unsafe.BitCast<long, T>(wide);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T ShiftRightBits(T a, int count)
    {
        if (typeof(T) == typeof(float))
        {
            uint bits = Unsafe.BitCast<T, uint>(a) >>> count;
            return Unsafe.BitCast<uint, T>(bits);
        }
        ulong wide = Unsafe.BitCast<T, ulong>(a) >>> count;
        return Unsafe.BitCast<ulong, T>(wide);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T FromBits(long bits) =>
        typeof(T) == typeof(float) ? Unsafe.BitCast<int, T>((int)bits) : Unsafe.BitCast<long, T>(bits);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static T GetElement(T a, int index) => a;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static T Sum(T a) => a;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static T MaxAcross(T a) => a;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T ScaleByPowerOfTwo(T x, T n) => VectorMath<Scalar<T>, T, T>.ScaleWithoutInstruction(x, n);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T ScaleNormal(T x, T n) => x * VectorMath<Scalar<T>, T, T>.Pow2(n);
}

/// <summary>The finite extremes of <typeparamref name="T"/> (float or double), which the generic-math interfaces do not expose.</summary>
internal static class FloatLimits<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>The most negative finite value: the floor of running maxima, so that −∞ entries give exp(−∞) = 0, never exp(−∞ + ∞).</summary>
    public static T MinValue
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => typeof(T) == typeof(float) ? T.CreateTruncating(float.MinValue) : T.CreateTruncating(double.MinValue);
    }

    /// <summary>The largest finite value.</summary>
    public static T MaxValue
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => typeof(T) == typeof(float) ? T.CreateTruncating(float.MaxValue) : T.CreateTruncating(double.MaxValue);
    }
}
