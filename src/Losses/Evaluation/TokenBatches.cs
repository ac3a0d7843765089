using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Losses.Kernels;

namespace Losses;

/// <summary>Validation and the kernel call shared by <see cref="PerplexityAccumulator"/> and <see cref="ModelComparison"/>.</summary>
internal static class TokenBatches
{
    /// <summary>
    /// Checks a batch against an accumulator's vocabulary and returns its number of ignored rows; throws before anything
    /// is accumulated.
    /// </summary>
    public static long Validate<T, TIndex>(ReadOnlySpan<T> logits, ReadOnlySpan<TIndex> targets, int classCount, int ignoreIndex,
        [CallerArgumentExpression(nameof(logits))] string logitsName = "")
        where T : unmanaged, IFloatingPointIeee754<T>
        where TIndex : unmanaged, IBinaryInteger<TIndex>
    {
        Guard.FloatOrDouble<T>();
        if (logits.Length != (long)targets.Length * classCount)
        {
            throw new ArgumentException(
                $"{logitsName} has {logits.Length} elements; with {targets.Length} targets and a vocabulary of {classCount} (the accumulator's) it must have {(long)targets.Length * classCount}.",
                logitsName);
        }
        long ignored = 0;
        for (int row = 0; row < targets.Length; row++)
        {
            long t = long.CreateTruncating(targets[row]);
            if ((ulong)t < (ulong)classCount)
            {
                continue;
            }
            if (t != ignoreIndex)
            {
                throw new ArgumentOutOfRangeException(nameof(targets), t, $"targets[{row}] = {t} is not a class index in [0, {classCount}) nor the ignore index {ignoreIndex}.");
            }
            ignored++;
        }
        return ignored;
    }

    /// <summary>Runs the evaluation row op over a validated batch; each counted token goes to <paramref name="sink"/>.</summary>
    public static unsafe void Run<T, TIndex>(ReadOnlySpan<T> logits, ReadOnlySpan<T> other, bool pair, ReadOnlySpan<TIndex> targets, int classCount, int ignoreIndex, ITokenSink sink,
        PerplexityMetrics metrics = PerplexityMetrics.All)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TIndex : unmanaged, IBinaryInteger<TIndex>
    {
        if (targets.IsEmpty)
        {
            return;
        }
        fixed (T* x = logits)
        fixed (T* q = other)
        fixed (TIndex* t = targets)
        {
            var batch = new TokenBatch<T>
            {
                Logits = x,
                Other = pair ? q : null,
                Targets = t,
                LongTargets = sizeof(TIndex) == sizeof(long),
                Rows = targets.Length,
                ClassCount = classCount,
                IgnoreIndex = ignoreIndex,
                Sink = sink,
                LossOnly = metrics == PerplexityMetrics.None,
            };
            Dispatch.Run<T, TokenStatistics<T>, TokenBatch<T>>(classCount, ref batch);
        }
    }

    /// <summary>
    /// The mean of n values from their sum and sum of squares, and its standard error as llama.cpp reports it:
    /// √((Σx²/n − mean²)/(n − 1)), 0 for n ≤ 10 or a non-positive variance.
    /// </summary>
    public static (double Mean, double Error) MeanAndError(double sum, double sumOfSquares, double n)
    {
        if (n < 1)
        {
            return (double.NaN, double.NaN);
        }
        double mean = sum / n;
        double variance = (sumOfSquares / n) - (mean * mean);
        return (mean, variance > 0 && n > 10 ? Math.Sqrt(variance / (n - 1)) : 0);
    }

    /// <summary>Reads the class weights of a state, checking their count.</summary>
    public static double[]? Weights(IReadOnlyList<double>? weight, int classCount)
    {
        if (weight is null || weight.Count == 0)
        {
            return null;
        }
        if (weight.Count != classCount)
        {
            throw new ArgumentException($"weight has {weight.Count} elements; it must be empty or have one per class ({classCount}).", nameof(weight));
        }
        return [.. weight];
    }

    /// <summary>Bitwise equality of two weight vectors (null = unweighted).</summary>
    public static bool SameWeights(double[]? a, double[]? b) =>
        (a is null && b is null) || (a is not null && b is not null && MemoryMarshal.AsBytes(a.AsSpan()).SequenceEqual(MemoryMarshal.AsBytes(b.AsSpan())));
}
