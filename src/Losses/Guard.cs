using System.Runtime.InteropServices;
using System.Numerics;
using System.Runtime.CompilerServices;
using Losses.Kernels;

namespace Losses;

/// <summary>Argument checks at the public boundary; kernels below it assume valid input.</summary>
internal static class Guard
{
    /// <summary>Only float and double have kernels; other IEEE types are rejected up front.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void FloatOrDouble<T>()
    {
        if (typeof(T) != typeof(float) && typeof(T) != typeof(double))
        {
            ThrowNotSupported(typeof(T));
        }
    }

    /// <summary>Checks a row-major batch and returns its row count.</summary>
    public static int Rows(int length, int classCount, string name, [CallerArgumentExpression(nameof(classCount))] string classCountName = "")
    {
        if (classCount <= 0)
        {
            throw new ArgumentOutOfRangeException(classCountName, classCount, "The class count must be positive.");
        }
        if (length % classCount != 0)
        {
            throw new ArgumentException($"{name} has {length} elements, which is not a whole number of rows of {classCount} classes (rows × classes must equal its length).", name);
        }
        return length / classCount;
    }

    public static void SameLength(int expected, int actual, string name, string otherName)
    {
        if (actual != expected)
        {
            throw new ArgumentException($"{name} has {actual} elements but {otherName} has {expected}; they must have the same length.", name);
        }
    }

    /// <summary>One value per row of <paramref name="inputName"/>: <paramref name="count"/> must be <paramref name="rows"/>.</summary>
    public static void OnePerRow(int rows, int count, string name, string inputName)
    {
        if (count != rows)
        {
            ThrowNotOnePerRow(rows, count, name, inputName);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowNotOnePerRow(int rows, int count, string name, string inputName) =>
        throw new ArgumentException($"{name} has {count} elements but the number of rows of {inputName} has {rows}; they must have the same length.", name);

    public static void DestinationLength(int needed, int actual, string name)
    {
        if (actual < needed)
        {
            throw new ArgumentException($"{name} is too short: it has {actual} elements and {needed} are needed.", name);
        }
    }

    /// <summary>
    /// The overlap rule for a pair the docs allow in place: <paramref name="output"/> (the part that will be written) may be
    /// exactly <paramref name="input"/> — same start, same length — or apart from it; anything in between throws, naming both.
    /// </summary>
    public static void InPlaceOrApart<T>(ReadOnlySpan<T> input, ReadOnlySpan<T> output, string inputName, string outputName)
    {
        if (input.Overlaps(output, out int offset) && !(offset == 0 && input.Length == output.Length))
        {
            throw new ArgumentException($"{outputName} overlaps {inputName} (at an offset of {offset} elements, {output.Length} against {input.Length} elements); it must be exactly {inputName} (in place) or not overlap it at all.", outputName);
        }
    }

    /// <summary>The overlap rule for every other pair: <paramref name="output"/> must not share memory with <paramref name="input"/>.</summary>
    public static void Apart<T>(ReadOnlySpan<T> input, ReadOnlySpan<T> output, string inputName, string outputName)
    {
        if (input.Overlaps(output))
        {
            throw new ArgumentException($"{outputName} overlaps {inputName}; they must not share memory.", outputName);
        }
    }

    /// <summary>
    /// The overlap rule where input and output element types may differ (16-bit logits, float or 16-bit gradients): in
    /// place only when the output starts where the input starts and holds the same element type; any other shared byte throws.
    /// </summary>
    public static void InPlaceOrApartAcrossTypes<TIn, TOut>(ReadOnlySpan<TIn> input, ReadOnlySpan<TOut> output, string inputName, string outputName)
        where TIn : unmanaged
        where TOut : unmanaged
    {
        if (MemoryMarshal.AsBytes(input).Overlaps(MemoryMarshal.AsBytes(output), out int offset) && (offset != 0 || typeof(TIn) != typeof(TOut)))
        {
            throw new ArgumentException($"{outputName} overlaps {inputName}; it must be exactly {inputName}'s memory with the same element type (in place) or not overlap it at all.", outputName);
        }
    }

    /// <summary>The overlap rule for an output that may never share memory with an input of another element type.</summary>
    public static void ApartAcrossTypes<TIn, TOut>(ReadOnlySpan<TIn> input, ReadOnlySpan<TOut> output, string inputName, string outputName)
        where TIn : unmanaged
        where TOut : unmanaged =>
        Apart(MemoryMarshal.AsBytes(input), MemoryMarshal.AsBytes(output), inputName, outputName);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowNotSupported(Type type) =>
        throw new NotSupportedException($"Losses has kernels for float and double only, not {type.Name}.");

    /// <summary>Every element finite and ≥ 0 (probabilities, counts, weights).</summary>
    public static void Probabilities<T>(ReadOnlySpan<T> values, string name)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        InRange(values, T.Zero, FloatLimits<T>.MaxValue, name, "probabilities, counts and weights must be finite and non-negative");

    /// <summary>Every element in [0, 1] (binary probabilities).</summary>
    public static void UnitInterval<T>(ReadOnlySpan<T> values, string name)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        InRange(values, T.Zero, T.One, name, "binary probabilities must lie in [0, 1]");

    /// <summary>No NaN or +∞ (log-probabilities; −∞ is log 0).</summary>
    public static void LogProbabilities<T>(ReadOnlySpan<T> values, string name)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        InRange(values, T.NegativeInfinity, FloatLimits<T>.MaxValue, name, "log-probabilities must not be NaN or +Infinity");

    /// <summary>Every element in [lower, upper], checked in one vectorized pass; the first offender is reported.</summary>
    public static void InRange<T>(ReadOnlySpan<T> values, T lower, T upper, string name, string rule)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (values.IsEmpty)
        {
            return;
        }
        if (!Kernels.InRangeOp<T>.All(values, lower, upper))
        {
            ThrowOutOfRange(values, lower, upper, name, rule);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowOutOfRange<T>(ReadOnlySpan<T> values, T lower, T upper, string name, string rule)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < values.Length; i++)
        {
            T value = values[i];
            if (!(value >= lower && value <= upper))
            {
                throw new ArgumentOutOfRangeException(name, value, FormattableString.Invariant($"{name}[{i}] is {value}; {rule}."));
            }
        }
    }

    /// <summary>1 / ln(base) for a base that is positive, finite and not 1.</summary>
    public static T InverseLogOfBase<T>(double logBase, [CallerArgumentExpression(nameof(logBase))] string name = "")
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!(logBase > 0) || logBase == 1 || double.IsPositiveInfinity(logBase))
        {
            throw new ArgumentOutOfRangeException(name, logBase, "The logarithm base must be positive, finite and not 1 (e.g. Math.E for nats, 2 for bits, 10 for dits).");
        }
        return T.CreateTruncating(logBase == Math.E ? 1.0 : 1.0 / Math.Log(logBase));
    }

    /// <summary>
    /// A temperature T that is positive and finite, with 1/T (and T² when <paramref name="squared"/>) a normal number of
    /// type <typeparamref name="T"/>, so that neither the logits' scale nor the loss's scale is 0, subnormal or ∞ (float:
    /// T in about [3e-39, 8.5e37], or [1.1e-19, 1.8e19] with T²; double: [5.6e-309, 4.5e307], or [1.5e-154, 1.3e154] with T²).
    /// </summary>
    public static double Temperature<T>(double temperature, bool squared = false, [CallerArgumentExpression(nameof(temperature))] string name = "")
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!(temperature > 0) || double.IsPositiveInfinity(temperature) || !T.IsNormal(T.CreateTruncating(1 / temperature))
            || (squared && !T.IsNormal(T.CreateTruncating(temperature * temperature))))
        {
            throw new ArgumentOutOfRangeException(name, temperature, FormattableString.Invariant(
                $"The temperature must be positive and finite, with 1/T{(squared ? " and T²" : "")} a normal {typeof(T).Name} (neither 0 nor ∞)."));
        }
        return temperature;
    }
}
