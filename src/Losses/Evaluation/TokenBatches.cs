using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Losses.Kernels;

namespace Losses;

/// <summary>Receives the figures of each counted token of a batch, in row order.</summary>
internal interface ITokenSink
{
    void Add(in TokenFigures figures);

    /// <summary>The figures of a batch's rows in row order (ignored rows have target −1 and are skipped).</summary>
    void Add(ReadOnlySpan<TokenFigures> figures)
    {
        foreach (ref readonly TokenFigures f in figures)
        {
            if (f.Target >= 0)
            {
                Add(in f);
            }
        }
    }
}

/// <summary>Receives the figures of a batch scored by two models (<see cref="PairColumns"/>, finished), rows in order.</summary>
internal interface IPairSink
{
    void Add(in PairColumns figures);
}

/// <summary>Validation and the kernel call shared by <see cref="PerplexityAccumulator"/> and <see cref="ModelComparison"/>.</summary>
internal static class TokenBatches
{
    /// <summary>
    /// Checks a batch against an accumulator's vocabulary and returns its number of ignored rows; throws before anything
    /// is accumulated. <typeparamref name="TIn"/> is float, double, Half or BFloat16 (the public overloads say which).
    /// </summary>
    public static long Validate<TIn, TIndex>(ReadOnlySpan<TIn> logits, ReadOnlySpan<TIndex> targets, int classCount, int ignoreIndex,
        [CallerArgumentExpression(nameof(logits))] string logitsName = "")
        where TIn : unmanaged
        where TIndex : unmanaged, IBinaryInteger<TIndex>
    {
        CheckLength(logits, targets.Length, classCount, logitsName);
        return targets.Length - Targets(targets).CheckAndCount(classCount, ignoreIndex, nameof(targets));
    }

    /// <summary>Checks that a batch's logits are rows × the accumulator's vocabulary (a second model's logits, whose targets <see cref="Validate"/> checks once).</summary>
    public static void CheckLength<TIn>(ReadOnlySpan<TIn> logits, int rows, int classCount, string logitsName)
        where TIn : unmanaged
    {
        if (logits.Length != (long)rows * classCount)
        {
            throw new ArgumentException(
                $"{logitsName} has {logits.Length} elements; with {rows} targets and a vocabulary of {classCount} (the accumulator's) it must have {(long)rows * classCount}.",
                logitsName);
        }
    }

    /// <summary>int or long targets (the public overloads take no other index type) as a <see cref="TargetSpan"/>.</summary>
    private static TargetSpan Targets<TIndex>(ReadOnlySpan<TIndex> targets)
        where TIndex : unmanaged, IBinaryInteger<TIndex> =>
        typeof(TIndex) == typeof(long) ? new TargetSpan(MemoryMarshal.Cast<TIndex, long>(targets)) : new TargetSpan(MemoryMarshal.Cast<TIndex, int>(targets));

    /// <summary>
    /// Runs the evaluation row op over a validated batch (through <see cref="RowDriver"/>, on up to
    /// <paramref name="maxDegreeOfParallelism"/> threads) and hands each counted token's figures to <paramref name="sink"/> in row
    /// order. The figures of a row depend on that row alone, so the thread count never changes them.
    /// </summary>
    public static unsafe void Run<T, TIndex>(ReadOnlySpan<T> logits, ReadOnlySpan<TIndex> targets, int classCount, int ignoreIndex, ITokenSink sink,
        PerplexityMetrics metrics = PerplexityMetrics.All, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TIndex : unmanaged, IBinaryInteger<TIndex>
    {
        int rows = targets.Length;
        if (rows == 0)
        {
            return;
        }
        TokenFigures[] figures = ArrayPool<TokenFigures>.Shared.Rent(rows);
        fixed (T* x = logits)
        fixed (TIndex* t = targets)
        fixed (TokenFigures* f = figures)
        {
            var indices = new TokenTargets { Targets = t, Long = sizeof(TIndex) == sizeof(long), IgnoreIndex = ignoreIndex };
            var op = new TokenFiguresOp<T> { Logits = x, Targets = indices, ClassCount = classCount, LossOnly = metrics == PerplexityMetrics.None, Figures = f };
            RowDriver.Run<T, TokenFiguresOp<T>>(in op, rows, classCount, null, maxDegreeOfParallelism);
        }
        sink.Add(figures.AsSpan(0, rows));
        ArrayPool<TokenFigures>.Shared.Return(figures);
    }

    /// <summary>
    /// Runs the two-model row op over a validated batch, finishes its figures (<see cref="PairColumns.Finish"/>) and hands
    /// them to <paramref name="sink"/> in one call per block of up to 65 536 rows. <typeparamref name="TP"/> and <typeparamref name="TQ"/> are T, or
    /// Half/bfloat16 with T = float (read widened in the op's loads, so no widened copy is made). The figures of a row
    /// depend on that row alone, so neither the split into batches nor the thread count changes them.
    /// </summary>
    public static void RunPair<T, TP, TQ, TIndex>(ReadOnlySpan<TP> reference, ReadOnlySpan<TQ> logits, ReadOnlySpan<TIndex> targets, int classCount, int ignoreIndex,
        IPairSink sink, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TP : unmanaged
        where TQ : unmanaged
        where TIndex : unmanaged, IBinaryInteger<TIndex>
    {
        for (int start = 0; start < targets.Length; start += PairBlockRows)
        {
            int rows = Math.Min(PairBlockRows, targets.Length - start);
            long offset = (long)start * classCount, length = (long)rows * classCount;
            RunPairBlock<T, TP, TQ, TIndex>(reference.Slice((int)offset, (int)length), logits.Slice((int)offset, (int)length), targets.Slice(start, rows),
                classCount, ignoreIndex, sink, maxDegreeOfParallelism);
        }
    }

    /// <summary>Rows of a two-model batch finished and handed over at a time (their figures: 5 MB, pooled).</summary>
    private const int PairBlockRows = 1 << 16;

    private static unsafe void RunPairBlock<T, TP, TQ, TIndex>(ReadOnlySpan<TP> reference, ReadOnlySpan<TQ> logits, ReadOnlySpan<TIndex> targets, int classCount, int ignoreIndex,
        IPairSink sink, int maxDegreeOfParallelism)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TP : unmanaged
        where TQ : unmanaged
        where TIndex : unmanaged, IBinaryInteger<TIndex>
    {
        int rows = targets.Length;
        int stride = PairColumns.PaddedRows(rows);
        double[] values = ArrayPool<double>.Shared.Rent(PairColumns.Count * stride);
        byte[] flags = ArrayPool<byte>.Shared.Rent(stride);
        fixed (TP* p = reference)
        fixed (TQ* q = logits)
        fixed (TIndex* t = targets)
        fixed (double* v = values)
        fixed (byte* f = flags)
        {
            var columns = new PairColumns(v, f, rows);
            for (int row = rows; row < stride; row++)
            {
                columns.SetNeutral(row);
            }
            var indices = new TokenTargets { Targets = t, Long = sizeof(TIndex) == sizeof(long), IgnoreIndex = ignoreIndex };
            var op = new PairFiguresOp<T, TP, TQ> { ReferenceLogits = p, Logits = q, Targets = indices, ClassCount = classCount, Columns = columns };
            RowDriver.Run<T, PairFiguresOp<T, TP, TQ>>(in op, rows, classCount, null, maxDegreeOfParallelism);
            columns.Finish();
            sink.Add(in columns);
        }
        ArrayPool<byte>.Shared.Return(flags);
        ArrayPool<double>.Shared.Return(values);
    }

    /// <summary>Rows of 16-bit logits of one model are widened to float this many elements at a time (1 MB, pooled).</summary>
    private const int WidenedElements = 1 << 18;

    /// <summary>
    /// <see cref="Run{T, TIndex}"/> for Half or bfloat16 logits: blocks of whole rows are widened to float (exactly) into a
    /// pooled buffer and run on the float path, so a batch gives the bits of its widened float values whatever its split.
    /// </summary>
    public static void RunWidened<TIn, TIndex>(ReadOnlySpan<TIn> logits, ReadOnlySpan<TIndex> targets, int classCount, int ignoreIndex, ITokenSink sink,
        PerplexityMetrics metrics = PerplexityMetrics.All, int maxDegreeOfParallelism = 1)
        where TIn : unmanaged
        where TIndex : unmanaged, IBinaryInteger<TIndex>
    {
        int rows = targets.Length;
        if (rows == 0)
        {
            return;
        }
        int rowsPerBlock = Math.Min(rows, Math.Max(1, WidenedElements / classCount));
        float[] widened = ArrayPool<float>.Shared.Rent(rowsPerBlock * classCount);
        for (int start = 0; start < rows; start += rowsPerBlock)
        {
            int count = Math.Min(rowsPerBlock, rows - start);
            int length = count * classCount;
            Widen(logits.Slice(start * classCount, length), widened.AsSpan(0, length));
            Run<float, TIndex>(widened.AsSpan(0, length), targets.Slice(start, count), classCount, ignoreIndex, sink, metrics, maxDegreeOfParallelism);
        }
        ArrayPool<float>.Shared.Return(widened);
    }

    /// <summary>Half or bfloat16 to float, exactly (TensorPrimitives; bfloat16 is the upper half of a float's bits).</summary>
    private static void Widen<TIn>(ReadOnlySpan<TIn> source, Span<float> destination)
        where TIn : unmanaged
    {
        if (typeof(TIn) == typeof(Half))
        {
            TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<TIn, Half>(source), destination);
            return;
        }
        Span<uint> bits = MemoryMarshal.Cast<float, uint>(destination);
        TensorPrimitives.ConvertTruncating<ushort, uint>(MemoryMarshal.Cast<TIn, ushort>(source), bits);
        TensorPrimitives.ShiftLeft(bits, 16, bits);
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
