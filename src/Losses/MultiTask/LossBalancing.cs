using System.Globalization;
using System.Numerics;
using System.Text;

namespace Losses;

/// <summary>What a loss balancer needs of the task losses it is given.</summary>
internal enum LossDomain
{
    /// <summary>Any finite value.</summary>
    Finite,

    /// <summary>Finite and ≥ 0.</summary>
    NonNegative,

    /// <summary>Finite and &gt; 0 (the balancer divides by it).</summary>
    Positive,
}

/// <summary>
/// Validation and the small per-task loops shared by the multi-task loss balancers. These are K-sized (one entry per
/// task, K is typically 2–10) and mix per-task validation with per-task state, so they are plain scalar loops rather than
/// the SIMD row kernels, which only pay off on rows of dozens of elements.
/// </summary>
internal static class LossBalancing
{
    /// <summary>A balancer's element type and its task count: <typeparamref name="T"/> float or double, the count positive.</summary>
    public static int TaskCount<T>(int taskCount, string name)
    {
        Guard.FloatOrDouble<T>();
        if (taskCount <= 0)
        {
            throw new ArgumentOutOfRangeException(name, taskCount, "The task count must be positive.");
        }
        return taskCount;
    }

    /// <summary>Checks that <paramref name="values"/> has one entry per task, each in <paramref name="domain"/>.</summary>
    public static void Values<T>(ReadOnlySpan<T> values, int taskCount, LossDomain domain, string name)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (values.Length != taskCount)
        {
            throw new ArgumentException($"{name} has {values.Length} elements but the balancer was made for {taskCount} tasks; give one value per task.", name);
        }
        for (int i = 0; i < values.Length; i++)
        {
            T value = values[i];
            bool ok = domain switch
            {
                LossDomain.Positive => T.IsFinite(value) && value > T.Zero,
                LossDomain.NonNegative => T.IsFinite(value) && value >= T.Zero,
                _ => T.IsFinite(value),
            };
            if (!ok)
            {
                ThrowValue(value, i, domain, name);
            }
        }
    }

    /// <summary>
    /// Checks the arguments of a <c>Combine</c>: one loss per task in <paramref name="domain"/>, room for one weight per task,
    /// and the weights exactly the losses or apart from them.
    /// </summary>
    public static void Combine<T>(ReadOnlySpan<T> losses, Span<T> weights, int taskCount, LossDomain domain)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Values(losses, taskCount, domain, nameof(losses));
        Destination(weights, taskCount, nameof(weights));
        NoOverlap<T>(losses, weights, nameof(losses), nameof(weights));
    }

    /// <summary>Checks a destination with room for one entry per task.</summary>
    public static void Destination<T>(Span<T> destination, int taskCount, string name)
    {
        if (destination.Length < taskCount)
        {
            throw new ArgumentException($"{name} is too short: it has {destination.Length} elements and {taskCount} (one per task) are needed.", name);
        }
    }

    /// <summary>Checks a scalar hyper-parameter: finite and positive (or ≥ 0 when <paramref name="allowZero"/>).</summary>
    public static double Parameter(double value, bool allowZero, string name)
    {
        if (!double.IsFinite(value) || value < 0 || (!allowZero && value == 0))
        {
            throw new ArgumentOutOfRangeException(name, value, allowZero ? $"{name} must be finite and ≥ 0." : $"{name} must be finite and > 0.");
        }
        return value;
    }

    /// <summary>
    /// An output may be its input exactly (the balancers compute into scratch and write last, so in place gives the
    /// out-of-place result) or apart from it; a shifted overlap is rejected, naming both.
    /// </summary>
    public static void NoOverlap<T>(ReadOnlySpan<T> input, ReadOnlySpan<T> output, string inputName, string outputName) =>
        Guard.InPlaceOrApart(input, output[..Math.Min(output.Length, input.Length)], inputName, outputName);

    /// <summary>Rejects a step whose result is not finite, before any state changes.</summary>
    public static void ThrowNotFinite(string name, int task, string what) =>
        throw new ArgumentOutOfRangeException(name, string.Create(CultureInfo.InvariantCulture,
            $"With {name}[{task}] (task {task}) {what} would not be finite; the step was rejected and nothing was updated."));

    /// <summary>Σ wᵢ·Lᵢ over the tasks, accumulated in double (K is small; this keeps float totals correctly rounded).</summary>
    public static T WeightedSum<T>(ReadOnlySpan<T> weights, ReadOnlySpan<T> losses)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double sum = 0;
        for (int i = 0; i < losses.Length; i++)
        {
            sum += double.CreateTruncating(weights[i]) * double.CreateTruncating(losses[i]);
        }
        return T.CreateTruncating(sum);
    }

    /// <summary>Σ wᵢ·Lᵢ as <see cref="WeightedSum{T}"/>, rejecting a total that overflows T (before the caller changes any state).</summary>
    public static T FiniteWeightedSum<T>(ReadOnlySpan<T> weights, ReadOnlySpan<T> losses)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T total = WeightedSum(weights, losses);
        if (!T.IsFinite(total))
        {
            ThrowNotFinite(nameof(losses), 0, "the total Σ wᵢ·Lᵢ");
        }
        return total;
    }

    /// <summary>Copies a saved array back after checking its length and values.</summary>
    public static void Restore<T>(T[]? source, Span<T> destination, LossDomain domain, string name)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (source is null)
        {
            throw new ArgumentNullException(name);
        }
        Values<T>(source, destination.Length, domain, name);
        source.CopyTo(destination);
    }

    private static void ThrowValue<T>(T value, int index, LossDomain domain, string name)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        string need = domain switch
        {
            LossDomain.Positive => "finite and > 0",
            LossDomain.NonNegative => "finite and ≥ 0",
            _ => "finite",
        };
        throw new ArgumentOutOfRangeException(name, value, string.Create(CultureInfo.InvariantCulture, $"{name}[{index}] (task {index}) is {value}; this balancer needs every value {need}. Nothing was updated."));
    }
}

/// <summary>Value equality and readable text for the balancers' state records, whose arrays would otherwise compare by reference and print as <c>System.Single[]</c>.</summary>
internal static class StateArrays
{
    /// <summary>Element-wise equality (NaN equals NaN, as <see cref="IEquatable{T}"/>).</summary>
    public static bool Equal<T>(T[]? a, T[]? b)
        where T : IEquatable<T> =>
        ReferenceEquals(a, b) || (a is not null && b is not null && a.AsSpan().SequenceEqual(b));

    public static int Hash<T>(T[]? values)
        where T : notnull
    {
        var hash = new HashCode();
        if (values is not null)
        {
            hash.Add(values.Length);
            foreach (T v in values)
            {
                hash.Add(v);
            }
        }
        return hash.ToHashCode();
    }

    /// <summary>Appends <c>Name = [v0, v1, …]</c> with the values in round-trip invariant form.</summary>
    public static StringBuilder Append<T>(StringBuilder builder, string name, T[]? values)
        where T : IFormattable
    {
        builder.Append(name).Append(" = ");
        if (values is null)
        {
            return builder.Append("null");
        }
        builder.Append('[');
        for (int i = 0; i < values.Length; i++)
        {
            builder.Append(i == 0 ? "" : ", ").Append(values[i].ToString("R", CultureInfo.InvariantCulture));
        }
        return builder.Append(']');
    }
}
