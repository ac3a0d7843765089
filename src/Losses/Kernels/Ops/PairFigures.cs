using System.Numerics;
using System.Runtime.CompilerServices;

namespace Losses.Kernels;

/// <summary>
/// The per-token figures of a batch scored by a reference model P and a model Q (<see cref="ModelComparison"/>), in
/// columns of doubles, one entry per row (the rows rounded up to <see cref="Padding"/>, so that the finishing pass
/// runs whole vectors of the widest width on every batch and a row's figures never depend on the batch's length):
/// the row op fills the raw columns, <see cref="Finish"/> turns them into the figures in place.
/// </summary>
internal readonly unsafe struct PairColumns
{
    /// <summary>Rows are rounded up to a multiple of this (the lanes of the widest double vector).</summary>
    public const int Padding = 8;

    /// <summary>Columns in the buffer.</summary>
    public const int Count = 10;

    // Raw, from the row op: the maxima, sums of exp, W and its shift, the target logits.
    public const int MaxP = 0, MaxQ = 1, SumP = 2, SumQ = 3, Weighted = 4, Shift = 5, TargetP = 6, TargetQ = 7;

    // Finished: −log P(t), −log Q(t), KL(P ‖ Q), Δp = Q(t) − P(t), and the products the comparison sums.
    public const int ReferenceLoss = 0, Loss = 1, Divergence = 2, ProbabilityDifference = 3, LossSquare = 4,
        ReferenceLossSquare = 5, LossProduct = 6, DivergenceSquare = 7, ProbabilityDifferenceSquare = 8, ProbabilityDifferenceFourth = 9;

    /// <summary>Flag of a row that is counted (not ignored).</summary>
    public const byte Counted = 1;

    /// <summary>Flag of a row whose two argmaxes agree.</summary>
    public const byte SameTop = 2;

    public PairColumns(double* values, byte* flags, int rows)
    {
        Values = values;
        Flags = flags;
        Rows = rows;
        Stride = PaddedRows(rows);
    }

    public double* Values { get; }

    public byte* Flags { get; }

    public int Rows { get; }

    public int Stride { get; }

    /// <summary>Rows rounded up to <see cref="Padding"/> (at least one vector).</summary>
    public static int PaddedRows(int rows) => Math.Max(Padding, (rows + Padding - 1) / Padding * Padding);

    /// <summary>Column <paramref name="column"/> over the padded rows.</summary>
    public Span<double> Column(int column) => new(Values + ((nint)column * Stride), Stride);

    /// <summary>The flags of row <paramref name="row"/> (<see cref="Counted"/>, <see cref="SameTop"/>).</summary>
    public byte FlagsOf(int row) => Flags[row];

    /// <summary>Entry <paramref name="row"/> of column <paramref name="column"/>.</summary>
    public ref double this[int column, int row]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => ref Values[((nint)column * Stride) + row];
    }

    /// <summary>
    /// Turns the raw columns into the figures, in double, vectorised over the rows at the widest accelerated width
    /// (the same for every batch, so a row's figures depend on its raw columns alone): log S_P and log S_Q,
    /// −log P(t) = (M_P − p_t) + log S_P, −log Q(t) = (M_Q − q_t) + log S_Q, KL = W/S_P − ((M_P − M_Q) − δ) − log S_P + log S_Q,
    /// Δp = e^(−loss_Q) − e^(−loss_P), and the squares and products that the comparison sums. Rows past <see cref="Rows"/> (padding)
    /// and ignored rows hold the neutral raw values (sums 1, the rest 0).
    /// </summary>
    public void Finish()
    {
        var columns = this;
        Dispatch.Run<double, FinishKernel, PairColumns>(int.MaxValue, ref columns);
    }

    /// <summary>Sets row <paramref name="row"/> to the neutral raw values (an ignored row or padding).</summary>
    public void SetNeutral(int row)
    {
        for (int column = 0; column < Count; column++)
        {
            this[column, row] = column is SumP or SumQ ? 1 : 0;
        }
        Flags[row] = 0;
    }

    private struct FinishKernel : IRowKernel<double, PairColumns>
    {
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        public static void Run<TOps, TV>(scoped ref PairColumns c)
            where TOps : ISimd<TV, double>
            where TV : struct
        {
            ref double x = ref *c.Values;
            nuint stride = (nuint)c.Stride;
            for (nuint row = 0; row < stride; row += (nuint)TOps.Count)
            {
                TV maxP = TOps.Load(in x, (MaxP * stride) + row);
                TV maxQ = TOps.Load(in x, (MaxQ * stride) + row);
                TV sumP = TOps.Load(in x, (SumP * stride) + row);
                TV logSumP = VectorMath<TOps, TV, double>.Log(sumP);
                TV logSumQ = VectorMath<TOps, TV, double>.Log(TOps.Load(in x, (SumQ * stride) + row));
                TV referenceLoss = TOps.Add(TOps.Subtract(maxP, TOps.Load(in x, (TargetP * stride) + row)), logSumP);
                TV loss = TOps.Add(TOps.Subtract(maxQ, TOps.Load(in x, (TargetQ * stride) + row)), logSumQ);
                TV offset = TOps.Subtract(TOps.Subtract(maxP, maxQ), TOps.Load(in x, (Shift * stride) + row));
                TV divergence = TOps.Add(TOps.Subtract(TOps.Subtract(TOps.Divide(TOps.Load(in x, (Weighted * stride) + row), sumP), offset), logSumP), logSumQ);
                TV difference = TOps.Subtract(
                    VectorMath<TOps, TV, double>.Exp(TOps.Subtract(default, loss)),
                    VectorMath<TOps, TV, double>.Exp(TOps.Subtract(default, referenceLoss)));
                TV square = TOps.Multiply(difference, difference);
                TOps.Store(referenceLoss, ref x, (ReferenceLoss * stride) + row);
                TOps.Store(loss, ref x, (Loss * stride) + row);
                TOps.Store(divergence, ref x, (Divergence * stride) + row);
                TOps.Store(difference, ref x, (ProbabilityDifference * stride) + row);
                TOps.Store(TOps.Multiply(loss, loss), ref x, (LossSquare * stride) + row);
                TOps.Store(TOps.Multiply(referenceLoss, referenceLoss), ref x, (ReferenceLossSquare * stride) + row);
                TOps.Store(TOps.Multiply(loss, referenceLoss), ref x, (LossProduct * stride) + row);
                TOps.Store(TOps.Multiply(divergence, divergence), ref x, (DivergenceSquare * stride) + row);
                TOps.Store(square, ref x, (ProbabilityDifferenceSquare * stride) + row);
                TOps.Store(TOps.Multiply(square, square), ref x, (ProbabilityDifferenceFourth * stride) + row);
            }
        }
    }
}

/// <summary>
/// The raw statistics of each token under two models (<see cref="ModelComparison"/>), written to <see cref="Columns"/>:
/// one pass over both rows (<see cref="Rows{TOps, TV, T}.PairStatistics{TA, TB}"/>: both maxima, both sums of exp, the
/// divergence's weighted sum and whether the argmaxes agree; two exps per element pair) and the two target logits; the
/// logs and exps that make them figures are done for the whole batch by <see cref="PairColumns.Finish"/>. The reference
/// logits are read as <typeparamref name="TP"/>, the compared model's as <typeparamref name="TQ"/>: T, or Half/bfloat16
/// with T = float, widened exactly in the loads, so a 16-bit row gives the bits of its widened float row. No row value.
/// </summary>
internal readonly unsafe struct PairFiguresOp<T, TP, TQ> : IRowOp<T>
    where T : unmanaged, IFloatingPointIeee754<T>
    where TP : unmanaged
    where TQ : unmanaged
{
    public TP* ReferenceLogits { get; init; }
    public TQ* Logits { get; init; }
    public TokenTargets Targets { get; init; }
    public int ClassCount { get; init; }
    public PairColumns Columns { get; init; }

    public T Row<TOps, TV>(int row)
        where TOps : ISimd<TV, T>
        where TV : struct
    {
        long t = Targets[row];
        if (t == Targets.IgnoreIndex)
        {
            Columns.SetNeutral(row);
            return T.Zero;
        }
        ref readonly TP p = ref Batch<TP>.Row(ReferenceLogits, row, ClassCount);
        ref readonly TQ q = ref Batch<TQ>.Row(Logits, row, ClassCount);
        var s = Rows<TOps, TV, T>.PairStatistics(in p, in q, ClassCount);
        PairColumns c = Columns;
        c[PairColumns.MaxP, row] = double.CreateTruncating(s.MaxA);
        c[PairColumns.MaxQ, row] = double.CreateTruncating(s.MaxB);
        c[PairColumns.SumP, row] = double.CreateTruncating(s.SumA);
        c[PairColumns.SumQ, row] = double.CreateTruncating(s.SumB);
        c[PairColumns.Weighted, row] = double.CreateTruncating(s.Weighted);
        c[PairColumns.Shift, row] = double.CreateTruncating(s.Shift);
        c[PairColumns.TargetP, row] = double.CreateTruncating(Elements<TOps, TV, T>.LoadOne(in p, (nuint)t));
        c[PairColumns.TargetQ, row] = double.CreateTruncating(Elements<TOps, TV, T>.LoadOne(in q, (nuint)t));
        c.Flags[row] = (byte)(PairColumns.Counted | (s.SameTop ? PairColumns.SameTop : 0));
        return T.Zero;
    }
}
