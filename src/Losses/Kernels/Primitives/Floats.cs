using System.Numerics;
using System.Runtime.CompilerServices;

namespace Losses.Kernels;

/// <summary>
/// Conversions between float or double and double that the JIT folds into one instruction (or none) in specialized code:
/// the generic <c>double.CreateTruncating</c> / <c>T.CreateTruncating</c> are calls into CoreLib, several per row and
/// slice. The same roundings (float → double is exact; double → float rounds to nearest).
/// </summary>
internal static class Floats<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double ToDouble(T value) =>
        typeof(T) == typeof(float) ? (float)(object)value
        : typeof(T) == typeof(double) ? (double)(object)value
        : double.CreateTruncating(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T FromDouble(double value) =>
        typeof(T) == typeof(float) ? (T)(object)(float)value
        : typeof(T) == typeof(double) ? (T)(object)value
        : T.CreateTruncating(value);
}
