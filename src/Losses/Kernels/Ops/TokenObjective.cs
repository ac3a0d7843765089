using System.Numerics;
using System.Runtime.CompilerServices;

namespace Losses.Kernels;

/// <summary>
/// <see cref="TokenLogProbabilities.ForwardBackward{T, TObjective}(ReadOnlySpan{T}, ReadOnlySpan{int}, Span{T}, Span{T}, int, TObjective, Span{T}, int, double, int)"/>:
/// row by row, the storing forward of <see cref="TokenLogProbabilities"/> (the exps left in the gradient, the partial on
/// the stack), the objective's upstream gradients from the row's log-probability and entropy, then the stored backward
/// while the row's logits and exps are still in cache. It runs the two-call storing form's row code, so its results are
/// bitwise those of Forward (storing) then Backward given the same upstream gradients. One driver row is a group of
/// <see cref="GroupRows"/> rows (the scratch of a group on the stack).
/// </summary>
[SkipLocalsInit]
internal readonly unsafe struct TokenObjectiveOp<T, TObjective> : IRowOp<T>
    where T : unmanaged, IFloatingPointIeee754<T>
    where TObjective : struct, ITokenObjective<T>
{
    /// <summary>Rows per driver row: <see cref="SliceRowsOp{T, TIn, TOut}.GroupRows"/>.</summary>
    public const int GroupRows = SliceRowsOp<T, T, T>.GroupRows;

    /// <summary>The token op over every row: mode Token, the gradient, the entropies (null when not wanted), the cap.</summary>
    private readonly VocabularySliceOp<T, T, T> _op;
    private readonly T* _logProbabilities;
    private readonly int _rows;
    private readonly TObjective _objective;

    public TokenObjectiveOp(in VocabularySliceOp<T, T, T> op, int rows, T* logProbabilities, TObjective objective)
    {
        _op = op;
        _rows = rows;
        _logProbabilities = logProbabilities;
        _objective = objective;
    }

    /// <summary>The row length to give the driver: a group's elements, or one row's when the slice path cannot take a vector of every width.</summary>
    public static int DriverRowLength(int classCount) =>
        SliceRowsOp<T, T, T>.Fits(classCount) ? (int)Math.Min((long)classCount * GroupRows, int.MaxValue) : classCount;

    public T Row<TOps, TV>(int group)
        where TOps : ISimd<TV, T>
        where TV : struct
    {
        int first = group * GroupRows;
        int end = Math.Min(_rows, first + GroupRows);
        VocabularyPartial* partials = stackalloc VocabularyPartial[GroupRows];
        T* scratch = stackalloc T[3 * GroupRows];
        T* alpha = scratch - first;
        T* beta = scratch + GroupRows - first;
        T* entropy = _op.Entropy != null ? _op.Entropy : scratch + (2 * GroupRows) - first;

        // Pointers indexed by absolute row, so that the row code of the two-call form runs unchanged.
        var forward = _op with { Partials = partials - first, SlicePartials = partials - first, Entropy = entropy, StoreExps = true };
        if (SliceRowsOp<T, T, T>.Takes(in forward) && TOps.Count <= _op.Width)
        {
            var rows = new SliceRowsOp<T, T, T>(in forward, _rows, _logProbabilities);
            SliceRowsOp<T, T, T>.RowMax carried = default;
            for (int row = first; row < end; row++)
            {
                rows.ForwardBackward<TOps, TV, TObjective>(row, in _objective, ref carried, hasNext: row + 1 < end);
            }
            return T.Zero;
        }

        // The general op (a soft-cap): its storing forward, then its stored backward, row by row.
        var backward = forward with { StoreExps = false, Entropy = null, LogProbabilityGradient = alpha, EntropyGradient = beta };
        for (int row = first; row < end; row++)
        {
            _logProbabilities[row] = forward.Row<TOps, TV>(row);
            alpha[row] = T.Zero;
            beta[row] = T.Zero;
            if (!partials[row - first].Ignored)
            {
                _objective.Gradients(row, _logProbabilities[row], entropy[row], out alpha[row], out beta[row]);
            }
            backward.Row<TOps, TV>(row);
        }
        return T.Zero;
    }
}
