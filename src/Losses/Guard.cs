using System.Runtime.CompilerServices;

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

    public static void DestinationLength(int needed, int actual, string name)
    {
        if (actual < needed)
        {
            throw new ArgumentException($"{name} is too short: it has {actual} elements and {needed} are needed.", name);
        }
    }

    /// <summary>A destination may be its source exactly (in place) or apart from it, never shifted over it.</summary>
    public static void NoPartialOverlap<T>(ReadOnlySpan<T> source, ReadOnlySpan<T> destination, string sourceName, string destinationName)
    {
        if (source.Overlaps(destination, out int offset) && offset != 0)
        {
            throw new ArgumentException($"{destinationName} overlaps {sourceName} at an offset of {offset} elements; it must be the same memory (in place) or not overlap at all.", destinationName);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowNotSupported(Type type) =>
        throw new NotSupportedException($"Losses has kernels for float and double only, not {type.Name}.");
}
