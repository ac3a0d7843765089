using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Losses.Kernels;

namespace Losses;

/// <summary>
/// What <see cref="PerplexityAccumulator"/> and <see cref="ModelComparison"/> share: the vocabulary and ignore index, the
/// counts of counted, ignored and non-finite tokens, the checks and the kernel call of a batch (float, double, Half or
/// bfloat16 logits, a float reference with a 16-bit compared model; int or long targets), the merge of the counts and its configuration checks, and the JSON plumbing.
/// </summary>
internal sealed class TokenCounts
{
    public TokenCounts(int classCount, int ignoreIndex)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(classCount);
        ClassCount = classCount;
        IgnoreIndex = ignoreIndex;
    }

    public int ClassCount { get; }

    public int IgnoreIndex { get; }

    /// <summary>Tokens counted (not ignored, finite).</summary>
    public long Tokens { get; set; }

    public long Ignored { get; set; }

    public long NonFinite { get; set; }

    /// <summary>
    /// Checks a batch of one model's logits, then runs the evaluation op and hands each counted token to
    /// <paramref name="sink"/>; nothing changes when a check fails. <typeparamref name="T"/> is the arithmetic type;
    /// <typeparamref name="TIn"/> is T, or Half/bfloat16 with T = float.
    /// </summary>
    public void Add<T, TIn, TIndex>(ReadOnlySpan<TIn> logits, ReadOnlySpan<TIndex> targets, ITokenSink sink, PerplexityMetrics metrics, int maxDegreeOfParallelism)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TIn : unmanaged
        where TIndex : unmanaged, IBinaryInteger<TIndex>
    {
        Guard.FloatOrDouble<T>();
        RowDriver.CheckParallelism(maxDegreeOfParallelism);
        long ignored = TokenBatches.Validate(logits, targets, ClassCount, IgnoreIndex, "logits");
        Ignored += ignored;
        if (typeof(TIn) == typeof(T))
        {
            TokenBatches.Run<T, TIndex>(Cast<TIn, T>(logits), targets, ClassCount, IgnoreIndex, sink, metrics, maxDegreeOfParallelism);
        }
        else
        {
            TokenBatches.RunWidened(logits, targets, ClassCount, IgnoreIndex, sink, metrics, maxDegreeOfParallelism);
        }
    }

    /// <summary>
    /// Checks a batch of two models' logits (the reference's named <paramref name="referenceName"/>, the other's "logits"),
    /// then runs the two-model op and hands each counted token to <paramref name="sink"/>; nothing changes when a check
    /// fails. <typeparamref name="T"/> is the arithmetic type; <typeparamref name="TP"/> and <typeparamref name="TQ"/> are
    /// T, or Half/bfloat16 with T = float (widened exactly in the loads).
    /// </summary>
    public void AddPair<T, TP, TQ, TIndex>(ReadOnlySpan<TP> reference, ReadOnlySpan<TQ> logits, ReadOnlySpan<TIndex> targets, IPairSink sink,
        int maxDegreeOfParallelism, string referenceName)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TP : unmanaged
        where TQ : unmanaged
        where TIndex : unmanaged, IBinaryInteger<TIndex>
    {
        Guard.FloatOrDouble<T>();
        RowDriver.CheckParallelism(maxDegreeOfParallelism);
        TokenBatches.CheckLength(reference, targets.Length, ClassCount, referenceName);
        long ignored = TokenBatches.Validate(logits, targets, ClassCount, IgnoreIndex, "logits");
        Ignored += ignored;
        TokenBatches.RunPair<T, TP, TQ, TIndex>(reference, logits, targets, ClassCount, IgnoreIndex, sink, maxDegreeOfParallelism);
    }

    private static ReadOnlySpan<TTo> Cast<TFrom, TTo>(ReadOnlySpan<TFrom> span)
        where TFrom : unmanaged
        where TTo : unmanaged =>
        System.Runtime.InteropServices.MemoryMarshal.Cast<TFrom, TTo>(span);

    /// <summary>Throws (naming <c>other</c>) unless <paramref name="other"/> has the same vocabulary and ignore index.</summary>
    public void CheckSameConfiguration(TokenCounts other, string kind)
    {
        if (other.ClassCount != ClassCount)
        {
            throw new ArgumentException($"other has a vocabulary of {other.ClassCount} classes; this {kind} has {ClassCount}.", nameof(other));
        }
        if (other.IgnoreIndex != IgnoreIndex)
        {
            throw new ArgumentException($"other ignores {other.IgnoreIndex}; this {kind} ignores {IgnoreIndex}.", nameof(other));
        }
    }

    public void Merge(TokenCounts other)
    {
        Tokens += other.Tokens;
        Ignored += other.Ignored;
        NonFinite += other.NonFinite;
    }

    /// <summary>Restores the counts of a state.</summary>
    public void Restore(long tokens, long ignored, long nonFinite)
    {
        Tokens = tokens;
        Ignored = ignored;
        NonFinite = nonFinite;
    }

    /// <summary>The state in <paramref name="json"/>, read with the source-generated metadata of <see cref="EvaluationJson"/>.</summary>
    public static TState ReadJson<TState>(string json, JsonTypeInfo<TState> type)
        where TState : class =>
        JsonSerializer.Deserialize(json, type) ?? throw new JsonException("The JSON holds no state.");
}

/// <summary>Value equality and readable text for the lists in the evaluation state records (compared by content, printed as numbers).</summary>
internal static class StateLists
{
    /// <summary>Lists longer than this print their first values and their length.</summary>
    private const int Printed = 8;

    public static bool Equal<T>(IReadOnlyList<T>? a, IReadOnlyList<T>? b) =>
        ReferenceEquals(a, b) || (a is not null && b is not null && a.SequenceEqual(b));

    public static int Hash<T>(IReadOnlyList<T>? values)
        where T : notnull =>
        StateArrays.Hash(values as T[] ?? values?.ToArray());

    /// <summary>Appends <c>Name = [v0, v1, …]</c> (round-trip invariant numbers; "none" when empty; the first values and the count when long).</summary>
    public static StringBuilder Append<T>(StringBuilder builder, string name, IReadOnlyList<T>? values)
    {
        builder.Append(name).Append(" = ");
        if (values is null || values.Count == 0)
        {
            return builder.Append("none");
        }
        builder.Append('[');
        for (int i = 0; i < Math.Min(values.Count, Printed); i++)
        {
            builder.Append(i == 0 ? "" : ", ").Append(values[i] is IFormattable f ? f.ToString(null, CultureInfo.InvariantCulture) : values[i]?.ToString());
        }
        return builder.Append(values.Count > Printed ? string.Create(CultureInfo.InvariantCulture, $", … ({values.Count} values)]") : "]");
    }
}
