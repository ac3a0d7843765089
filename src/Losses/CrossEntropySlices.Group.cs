using System.Buffers;
using System.Numerics;
using Losses.Kernels;

namespace Losses;

public static partial class CrossEntropySlices
{
    /// <summary>
    /// Cross-entropy (+ z-loss) and its gradient over a vocabulary held in one process as a group of column slices — the
    /// logits of a batch of rows stored as separate [rows × width] buffers, as a vocabulary-chunked LM head produces them —
    /// in one call: each slice's storing forward, the combination of the partials, the loss, and each slice's backward, a
    /// block of rows at a time while it is in cache. The result is that of the per-slice calls in sequence within a few ulp
    /// (bit for bit with a soft-cap or label smoothing).
    /// </summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="logits">The slices in column order: slice k is a dense row-major [rows × width_k] buffer holding columns
    /// [offset_k, offset_k + width_k) of every row, offset_k = width_0 + … + width_(k−1); the vocabulary has C = Σ width_k
    /// classes. Each slice's length must be a positive multiple of the number of rows (at most 256 slices).</param>
    /// <param name="targets">One class index per row (in [0, C)) or <paramref name="ignoreIndex"/>; gives the number of rows.</param>
    /// <param name="gradient">One buffer per slice, as long as its logits slice: receives ∂loss/∂logits for those columns. Slice
    /// k's gradient may be <c>logits[k]</c>'s own memory (in place) without a soft-cap; any other overlap throws.</param>
    /// <param name="partials">At least rows long: receives each row's partial combined over the whole vocabulary
    /// (M, S = Σ exp(x̃ − M), …; log Z = <see cref="VocabularyPartial.LogSumExp"/>).</param>
    /// <param name="reduction">None, Mean (default) or Sum, as <see cref="Loss{T}"/>.</param>
    /// <param name="losses">With <see cref="Reduction.None"/>: at least rows long, receives ℓᵢ + zᵢ.</param>
    /// <param name="weight">Empty, or C class weights of the whole vocabulary (PyTorch's <c>weight</c>).</param>
    /// <param name="ignoreIndex">Rows with this target count for nothing and get a zero gradient (default −100).</param>
    /// <param name="labelSmoothing">ε in [0, 1].</param>
    /// <param name="zLoss">λ ≥ 0 of the z-loss λ·(log Z)² (PaLM uses 1e-4); 0 (default) for none.</param>
    /// <param name="softCap">c &gt; 0 of the soft-cap c·tanh(x/c); +∞ (default) for none.</param>
    /// <param name="maxDegreeOfParallelism">1 (default) for one thread, n for up to n threads, −1 for all cores; the result is bitwise the same for any value.</param>
    /// <returns>The reduced loss (for None, the sum of the rows' losses).</returns>
    /// <remarks>
    /// <para>Per row i with target t, capped logits x̃ over all C columns, log Z = log Σ exp(x̃): ℓᵢ = (1 − ε)·w_t·(log Z − x̃_t)
    /// + (ε/C)·Σ_c w_c·(log Z − x̃_c) and zᵢ = λ·(log Z)², reduced as <see cref="Loss{T}"/> (Mean: Σ ℓᵢ / Σ w_t + Σ zᵢ / N over
    /// the N counted rows); gradient ∂/∂x_j = cap′(x_j)·(s·softmax(x̃)_j − b·w_j − a·[j = t]) as
    /// <see cref="Backward{T}(ReadOnlySpan{T}, ReadOnlySpan{VocabularyPartial}, Span{T}, int, int, int, int, Reduction, ReadOnlySpan{T}, double, double, double, int)"/>.
    /// Equals <see cref="CrossEntropy.Forward{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, int, Span{T}, Reduction, Span{T}, ReadOnlySpan{T}, int, double, double, double, int)"/>
    /// on the concatenated columns within a few ulp.</para>
    /// <para>Two passes, by options. Without a soft-cap or label smoothing (class weights allowed), and with every slice at least a
    /// 64-byte vector wide (16 floats, 8 doubles) — the LLM case — the <b>one-max pass</b>: the one-shot fused
    /// cross-entropy's row with its columns in the slices' buffers, a row at a time while it is in cache — M = the max over
    /// every slice (taken in the previous row's exp passes when each slice's row is at most 16 KB), each slice's exps
    /// exp(x − M) stored into its gradient and summed (S = Σ over the slices in slice order, in double), the row's combined
    /// partial written, then each slice's exps scaled by (w_t + 2λ·log Z)·g / S and the target's −w_t·g added (g the
    /// reduction's factor). No per-slice partials, no combination, no ratios exp(m − M): within a few ulp of the per-slice
    /// calls below (whose exps are relative to each slice's own max; the partials' M, target logit and counts are
    /// exactly theirs, S within a few ulp), and of the one-shot
    /// <see cref="CrossEntropy.Forward{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, int, Span{T}, Reduction, Span{T}, ReadOnlySpan{T}, int, double, double, double, int)"/>.
    /// Otherwise the <b>per-slice passes</b>, the same bits as, for every slice k in order, the storing
    /// <see cref="Forward{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, Span{VocabularyPartial}, Span{T}, int, int, int, int, ReadOnlySpan{T}, int, double, bool, double, int)"/>
    /// into slice partials, <see cref="Combine"/> of each into an accumulator cleared to <c>default</c>,
    /// <see cref="Loss{T}"/> of the accumulator, and the stored
    /// <see cref="Backward{T}(ReadOnlySpan{T}, ReadOnlySpan{VocabularyPartial}, ReadOnlySpan{VocabularyPartial}, Span{T}, int, int, int, int, Reduction, ReadOnlySpan{T}, double, double, double, int)"/>
    /// with each slice's partials: the same passes, done for a block of rows (32, fewer with many slices) at a time — the
    /// block's rows forward through every slice, their partials combined, then every slice's backward — so that the exps
    /// stored in the gradient are rescaled while they are still in cache, where the per-slice calls come back to them
    /// after every row's forward. Either pass gives the same bits for any thread count and in place. Vocabulary shards
    /// held by different processes cannot do either (the combination needs an all-reduce between forward and backward):
    /// they use the per-slice functions.</para>
    /// <para>Edge cases: as the per-slice functions — a −∞ (masked) logit stays masked (also under the cap), a NaN logit makes
    /// its row NaN, rows with the ignore index count for nothing (Mean over no counted rows is NaN, as PyTorch); no rows:
    /// every slice must be empty, nothing is written, and the result is the reduction of nothing (Mean NaN, Sum 0).</para>
    /// <para>Cost: per element a max pass (the one-max pass folds it into the previous row's exp pass), one pass with one
    /// exp that stores the exps, and one pass without exp that rescales them — the one-shot fused cross-entropy's passes;
    /// the per-slice passes add, per row and slice, one double exp in a vector of 32 rows for the combination and one for
    /// the backward. Measured at 512 × 1000 in 4 slices (float, AVX2, one thread; median of 3 launches 1.105, range
    /// 1.09–1.13): about 1.1× the one-shot <c>CrossEntropy.Forward</c> with a gradient (benchmarks/README.md). No
    /// allocation once <see cref="ArrayPool{T}.Shared"/> holds the call's pinning buffers (rented and returned, two handles and one slice descriptor per slice).</para>
    /// </remarks>
    /// <example>
    /// <code>
    /// // A batch of 2 rows whose 8-class vocabulary comes in two chunks of 4 columns (each [rows × 4]).
    /// float[] left = [1f, 2f, 0f, -1f,   -2f, 0f, 4f, 1f];
    /// float[] right = [3f, 0.5f, 0f, 1f,   0f, 0f, 2f, -1f];
    /// int[] targets = [4, 2];
    /// var leftGradient = new float[left.Length];
    /// var rightGradient = new float[right.Length];
    /// var partials = new VocabularyPartial[targets.Length];
    /// float loss = CrossEntropySlices.ForwardBackward&lt;float&gt;([left, right], targets, [leftGradient, rightGradient], partials, zLoss: 1e-4);
    /// </code>
    /// </example>
    /// <exception cref="ArgumentException">No slice or more than 256; a slice whose length is not a positive multiple of the
    /// rows (the message gives its index), a gradient slice of another length than its logits, a span too short, or an
    /// overlap other than a gradient slice exactly on its own logits slice (naming both, with their indices); nothing is written.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A target is not a class nor the ignore index (the message gives its row), or
    /// reduction, labelSmoothing, zLoss or softCap is out of range.</exception>
    public static T ForwardBackward<T>(ReadOnlySpan<ReadOnlyMemory<T>> logits, ReadOnlySpan<int> targets, ReadOnlySpan<Memory<T>> gradient,
        Span<VocabularyPartial> partials, Reduction reduction = Reduction.Mean, Span<T> losses = default, ReadOnlySpan<T> weight = default,
        int ignoreIndex = -100, double labelSmoothing = 0, double zLoss = 0, double softCap = double.PositiveInfinity, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        ForwardBackwardCore(logits, new TargetSpan(targets), gradient, partials, reduction, losses, weight, ignoreIndex, labelSmoothing, zLoss, softCap,
            maxDegreeOfParallelism);

    /// <summary>Cross-entropy and its gradient over a group of vocabulary slices, with int64 targets.</summary>
    /// <inheritdoc cref="ForwardBackward{T}(ReadOnlySpan{ReadOnlyMemory{T}}, ReadOnlySpan{int}, ReadOnlySpan{Memory{T}}, Span{VocabularyPartial}, Reduction, Span{T}, ReadOnlySpan{T}, int, double, double, double, int)"/>
    public static T ForwardBackward<T>(ReadOnlySpan<ReadOnlyMemory<T>> logits, ReadOnlySpan<long> targets, ReadOnlySpan<Memory<T>> gradient,
        Span<VocabularyPartial> partials, Reduction reduction = Reduction.Mean, Span<T> losses = default, ReadOnlySpan<T> weight = default,
        long ignoreIndex = -100, double labelSmoothing = 0, double zLoss = 0, double softCap = double.PositiveInfinity, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        ForwardBackwardCore(logits, new TargetSpan(targets), gradient, partials, reduction, losses, weight, ignoreIndex, labelSmoothing, zLoss, softCap,
            maxDegreeOfParallelism);

    private static unsafe T ForwardBackwardCore<T>(ReadOnlySpan<ReadOnlyMemory<T>> logits, TargetSpan targets, ReadOnlySpan<Memory<T>> gradient,
        Span<VocabularyPartial> partials, Reduction reduction, Span<T> losses, ReadOnlySpan<T> weight, long ignoreIndex, double labelSmoothing,
        double zLoss, double softCap, int maxDegreeOfParallelism)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Guard.FloatOrDouble<T>();
        Reductions.Check(reduction);
        CheckOptions<T>(labelSmoothing, zLoss, softCap);
        RowDriver.CheckParallelism(maxDegreeOfParallelism);
        int rows = targets.Length;
        int count = logits.Length;
        int classCount = CheckGroup(logits, gradient, rows);
        if (rows == 0)
        {
            return T.CreateTruncating(Reductions.Apply(0, reduction, 0));
        }
        CrossEntropy.CheckWeight(weight, classCount);
        targets.Check(classCount, ignoreIndex, "targets");
        Guard.DestinationLength(rows, partials.Length, nameof(partials));
        ReadOnlySpan<VocabularyPartial> written = partials[..rows];
        ReadOnlySpan<T> rowLosses = reduction == Reduction.None ? losses : default;
        if (reduction == Reduction.None)
        {
            Guard.DestinationLength(rows, losses.Length, nameof(losses));
            rowLosses = losses[..rows];
        }
        CheckGroupOverlaps(logits, gradient, targets, weight, written, rowLosses, softCap);

        // D = Σ w_t and N over the counted rows, in row order: what Loss and Backward take from the combined partials.
        double divisor = 0;
        int counted = 0;
        for (int row = 0; row < rows; row++)
        {
            long t = targets[row];
            if (t != ignoreIndex)
            {
                counted++;
                divisor += weight.IsEmpty ? 1 : double.CreateTruncating(weight[(int)t]);
            }
        }

        MemoryHandle[] handles = ArrayPool<MemoryHandle>.Shared.Rent(2 * count);
        SliceGroupMember<T>[] members = ArrayPool<SliceGroupMember<T>>.Shared.Rent(count);
        int pinned = 0;
        try
        {
            fixed (int* t32 = targets.Int32)
            fixed (long* t64 = targets.Int64)
            fixed (T* w = weight)
            fixed (VocabularyPartial* p = partials)
            fixed (SliceGroupMember<T>* m = members)
            {
                int offset = 0;
                for (int k = 0; k < count; k++)
                {
                    handles[pinned++] = logits[k].Pin();
                    handles[pinned++] = gradient[k].Pin();
                    var x = (T*)handles[pinned - 2].Pointer;
                    var g = (T*)handles[pinned - 1].Pointer;
                    int width = logits[k].Length / rows;
                    // The slice partials' pointers are the group's scratch, set per group (p stands in for them here).
                    var forward = ForwardOp(x, targets.IsInt64 ? null : t32, targets.IsInt64 ? t64 : null, ignoreIndex, weight.IsEmpty ? null : w, weight,
                        offset, width, width, softCap, p, g, storing: true, entropy: false, labelSmoothing);
                    var backward = BackwardOp(x, g, weight.IsEmpty ? null : w, p, p, classCount, offset, width, width, reduction, labelSmoothing, zLoss,
                        softCap, divisor, counted);
                    m[k] = new SliceGroupMember<T>
                    {
                        Forward = forward,
                        Backward = backward,
                        ForwardCommon = SliceRowsOp<T, T, T>.Takes(in forward),
                        BackwardCommon = SliceRowsOp<T, T, T>.Takes(in backward),
                    };
                    offset += width;
                }
                int groupRows = SliceGroupOp<T>.RowsPerGroup(count);
                var op = new SliceGroupOp<T>
                {
                    Members = m, Count = count, Rows = rows, GroupRows = groupRows, Partials = p, Columns = classCount,
                    OneMax = SliceGroupOp<T>.TakesOneMax(m, count),
                };
                RowDriver.Run<T, SliceGroupOp<T>>(in op, (rows + groupRows - 1) / groupRows, (int)Math.Min((long)classCount * groupRows, int.MaxValue), null,
                    maxDegreeOfParallelism);
            }
        }
        finally
        {
            for (int i = 0; i < pinned; i++)
            {
                handles[i].Dispose();
            }
            ArrayPool<MemoryHandle>.Shared.Return(handles, clearArray: true);
            ArrayPool<SliceGroupMember<T>>.Shared.Return(members);
        }
        return LossOf(written, classCount, reduction, losses, labelSmoothing, zLoss, divisor, counted);
    }

    /// <summary>Checks the slices of a group (at least one, at most <see cref="SliceGroupOp{T}.MaxSlices"/>, rows × width each, a gradient as long as each); returns C.</summary>
    private static int CheckGroup<T>(ReadOnlySpan<ReadOnlyMemory<T>> logits, ReadOnlySpan<Memory<T>> gradient, int rows)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (logits.Length is 0 or > SliceGroupOp<T>.MaxSlices)
        {
            throw new ArgumentException($"logits holds {logits.Length} slices: a group has 1 to {SliceGroupOp<T>.MaxSlices}.", nameof(logits));
        }
        if (gradient.Length != logits.Length)
        {
            throw new ArgumentException($"gradient holds {gradient.Length} slices but logits holds {logits.Length}: one gradient buffer per logits slice.", nameof(gradient));
        }
        long classes = 0;
        for (int k = 0; k < logits.Length; k++)
        {
            int length = logits[k].Length;
            if (rows == 0 ? length != 0 : length == 0 || length % rows != 0)
            {
                throw new ArgumentException($"logits[{k}] has {length} elements: a slice of {rows} rows has rows × width elements, width ≥ 1.", nameof(logits));
            }
            if (gradient[k].Length != length)
            {
                throw new ArgumentException($"gradient[{k}] has {gradient[k].Length} elements but logits[{k}] has {length}: each gradient slice is laid out as its logits slice.", nameof(gradient));
            }
            classes += rows == 0 ? 0 : length / rows;
        }
        if (classes > int.MaxValue)
        {
            throw new ArgumentException($"The slices hold {classes} columns per row, more than a vocabulary can have ({int.MaxValue}).", nameof(logits));
        }
        return (int)classes;
    }

    /// <summary>"logits[k]" and "gradient[k]" for every slice index, built once, so that the overlap checks name a slice without allocating per call.</summary>
    private static class SliceNames
    {
        public static readonly string[] Logits = Names("logits");
        public static readonly string[] Gradient = Names("gradient");

        private static string[] Names(string name) => [.. Enumerable.Range(0, SliceGroupOp<float>.MaxSlices).Select(k => $"{name}[{k}]")];
    }

    /// <summary>
    /// The overlap rule for a group: gradient[k] is exactly logits[k] (in place, without a cap) or apart from it, and apart from
    /// every other slice, from the targets, the weights, the partials and the losses; the partials and losses apart from every input.
    /// </summary>
    private static void CheckGroupOverlaps<T>(ReadOnlySpan<ReadOnlyMemory<T>> logits, ReadOnlySpan<Memory<T>> gradient, TargetSpan targets,
        ReadOnlySpan<T> weight, ReadOnlySpan<VocabularyPartial> partials, ReadOnlySpan<T> losses, double softCap)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int k = 0; k < logits.Length; k++)
        {
            ReadOnlySpan<T> x = logits[k].Span, g = gradient[k].Span;
            string xName = SliceNames.Logits[k], gName = SliceNames.Gradient[k];
            if (double.IsPositiveInfinity(softCap))
            {
                Guard.InPlaceOrApart(x, g, xName, gName);
            }
            else
            {
                Guard.Apart(x, g, xName, gName);
            }
            for (int j = 0; j < k; j++)
            {
                Guard.Apart(logits[j].Span, g, SliceNames.Logits[j], gName);
                Guard.Apart(x, (ReadOnlySpan<T>)gradient[j].Span, xName, SliceNames.Gradient[j]);
                Guard.Apart((ReadOnlySpan<T>)gradient[j].Span, g, SliceNames.Gradient[j], gName);
            }
            Guard.ApartAcrossTypes(targets.Int32, g, "targets", gName);
            Guard.ApartAcrossTypes(targets.Int64, g, "targets", gName);
            Guard.Apart(weight, g, nameof(weight), gName);
            Guard.ApartAcrossTypes(x, partials, xName, "partials");
            Guard.ApartAcrossTypes(g, partials, gName, "partials");
            Guard.Apart(x, losses, xName, "losses");
            Guard.Apart(g, losses, gName, "losses");
        }
        Guard.ApartAcrossTypes(targets.Int32, partials, "targets", "partials");
        Guard.ApartAcrossTypes(targets.Int64, partials, "targets", "partials");
        Guard.ApartAcrossTypes(weight, partials, nameof(weight), "partials");
        Guard.ApartAcrossTypes(partials, losses, "partials", "losses");
        Guard.ApartAcrossTypes(targets.Int32, losses, "targets", "losses");
        Guard.ApartAcrossTypes(targets.Int64, losses, "targets", "losses");
        Guard.Apart(weight, losses, nameof(weight), "losses");
    }
}
