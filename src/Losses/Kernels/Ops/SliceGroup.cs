using System.Numerics;
using System.Runtime.CompilerServices;

namespace Losses.Kernels;

/// <summary>
/// One slice of a <see cref="SliceGroupOp{T}"/>: the ops its storing forward and its stored backward would run alone
/// (<see cref="CrossEntropySlices"/>' Forward with a gradient and Backward with slice partials), and whether each takes the
/// common-case op (<see cref="SliceRowsOp{T, TIn, TOut}.Takes"/>), so that the group runs exactly their passes.
/// </summary>
internal struct SliceGroupMember<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Its <see cref="VocabularySliceOp{T, TIn, TOut}.Partials"/> is set per group (the group's scratch).</summary>
    public VocabularySliceOp<T, T, T> Forward;

    /// <summary>Reads the combined partials; its <see cref="VocabularySliceOp{T, TIn, TOut}.SlicePartials"/> is set per group.</summary>
    public VocabularySliceOp<T, T, T> Backward;

    public bool ForwardCommon;
    public bool BackwardCommon;
}

/// <summary>
/// Cross-entropy over a vocabulary held as a group of slices in one process
/// (<see cref="CrossEntropySlices.ForwardBackward{T}(ReadOnlySpan{ReadOnlyMemory{T}}, ReadOnlySpan{int}, ReadOnlySpan{Memory{T}}, Span{VocabularyPartial}, Reduction, Span{T}, ReadOnlySpan{T}, int, double, double, double, int)"/>):
/// one driver row is a group of <see cref="GroupRows"/> rows. When <see cref="OneMax"/>, the group's rows take the one-max
/// pass (<see cref="OneMaxRows"/>: the one-shot row across the slices' buffers). Otherwise the per-slice passes: for the
/// group — while its rows are in cache — every slice's storing forward row by row (each row's slices one after the
/// other), the combination of the slices' partials in slice order (<see cref="Partials"/>, the ratios of the group's
/// rows a vector at a time), then every slice's backward rescaling its stored exps. Each slice runs the passes its own Forward and Backward would (the common-case op or the
/// general one, at the vector width its own call would pick), so partials and gradients are bitwise those of the
/// per-slice calls in sequence; the loss follows from <see cref="Partials"/> after the driver (the row value is 0).
/// </summary>
[SkipLocalsInit]
internal readonly unsafe struct SliceGroupOp<T> : IRowOp<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Slice partials held per group (on the stack, 72 bytes each): at most this many, so a group has min(32, this / slices) rows.</summary>
    public const int ScratchPartials = 512;

    /// <summary>The most slices a group may have: each needs a scratch partial per row and its two ops (about 400 bytes) per group, on the stack.</summary>
    public const int MaxSlices = 256;

    public SliceGroupMember<T>* Members { get; init; }
    public int Count { get; init; }
    public int Rows { get; init; }

    /// <summary>Rows per driver row.</summary>
    public int GroupRows { get; init; }

    /// <summary>The combined partials of every row (written here, then read by the backward ops).</summary>
    public VocabularyPartial* Partials { get; init; }

    /// <summary>Rows per group for <paramref name="slices"/> slices: 32 (a vector of ratios on AVX-512), fewer for many slices.</summary>
    /// <remarks>Measured at 512 × 1000 in 4 slices (float): 32 rows per group beat 16, 8 and 4 (a group's 128 KB of exps are
    /// rescaled from L2; fewer rows do not make the backward faster, and leave the vectors of ratios emptier).</remarks>
    public static int RowsPerGroup(int slices) => Math.Clamp(ScratchPartials / Math.Max(slices, 1), 1, SliceRowsOp<T, T, T>.GroupRows);

    /// <summary>Columns of the whole vocabulary (C = Σ width_k).</summary>
    public int Columns { get; init; }

    /// <summary>Whether the group takes the one-max pass (<see cref="TakesOneMax"/>); set by the builder.</summary>
    public bool OneMax { get; init; }

    /// <summary>
    /// Whether <paramref name="count"/> slices can take the one-max pass (<see cref="OneMaxRows"/>): cross-entropy without
    /// soft-cap or label smoothing (class weights only weigh the rows then), every slice at least a 64-byte vector wide —
    /// the one-shot cross-entropy's row with its columns in separate buffers.
    /// </summary>
    public static bool TakesOneMax(SliceGroupMember<T>* members, int count)
    {
        for (int k = 0; k < count; k++)
        {
            ref readonly SliceGroupMember<T> m = ref members[k];
            if (T.IsFinite(m.Forward.SoftCap) || !SliceRowsOp<T, T, T>.Fits(m.Forward.Width) || !m.Forward.WithoutMoment
                || m.Backward.Mode != SliceMode.CrossEntropy || m.Backward.Uniform != 0)
            {
                return false;
            }
        }
        return true;
    }

    public T Row<TOps, TV>(int group)
        where TOps : ISimd<TV, T>
        where TV : struct
    {
        int first = group * GroupRows;
        int end = Math.Min(Rows, first + GroupRows);
        int count = Count;
        if (OneMax)
        {
            var rows = new OneMaxWork { Members = Members, Count = count, First = first, End = end, Partials = Partials, Columns = Columns };
            Dispatch.Run<T, OneMaxRows, OneMaxWork>(MinWidth(), ref rows);
            return T.Zero;
        }
        VocabularyPartial* scratch = stackalloc VocabularyPartial[count * GroupRows];

        // Each slice's ops for this group, built once: its partials go to the scratch at k·GroupRows + (row − first) (the
        // ops index them by row: the pointer is set back by first); the backward reads them there.
        var forward = stackalloc SliceRowsOp<T, T, T>[count];
        var backward = stackalloc SliceRowsOp<T, T, T>[count];
        for (int k = 0; k < count; k++)
        {
            VocabularyPartial* slice = scratch + (k * GroupRows) - first;
            forward[k] = new SliceRowsOp<T, T, T>(Members[k].Forward with { Partials = slice }, Rows, null);
            backward[k] = new SliceRowsOp<T, T, T>(Members[k].Backward with { SlicePartials = slice }, Rows, null);
        }
        var work = new SliceWork { First = first, End = end };
        if (SameCommonWidth())
        {
            // Every slice takes the common op at the same width: one dispatch for the group, and each slice's rows of the
            // group in one call (a short slice's group pass, or row by row with the max carried), slice after slice.
            work.Op = forward;
            work.Count = count;
            Dispatch.Run<T, ForwardRows, SliceWork>(Members[0].Forward.Width, ref work);
        }
        else
        {
            for (int row = first; row < end; row++)
            {
                work.Row = row;
                for (int k = 0; k < count; k++)
                {
                    work.Op = forward + k;
                    work.Common = Members[k].ForwardCommon;
                    Dispatch.Run<T, ForwardRow, SliceWork>(Members[k].Forward.Width, ref work);
                }
            }
        }

        // Combine in slice order: the first slice's partial is the accumulator (Combine into an empty partial copies it).
        Span<double> ratios = stackalloc double[RowScalars.Count];
        for (int row = first; row < end; row++)
        {
            Partials[row] = scratch[row - first];
        }
        for (int k = 1; k < count; k++)
        {
            VocabularyPartial* slice = scratch + (k * GroupRows) - first;
            for (int j = 0; j < RowScalars.Count; j++)
            {
                ratios[j] = first + j < end ? VocabularyPartial.CombineShift(in Partials[first + j], in slice[first + j]) : 0;
            }
            RowScalars.ExpInPlace(ratios, end - first);
            for (int row = first; row < end; row++)
            {
                VocabularyPartial.CombineInto(ref Partials[row], in slice[row], ratios[row - first]);
            }
        }

        for (int k = 0; k < count; k++)
        {
            work.Op = backward + k;
            work.Common = Members[k].BackwardCommon;
            Dispatch.Run<T, BackwardRows, SliceWork>(Members[k].Backward.Width, ref work);
        }
        return T.Zero;
    }

    /// <summary>The narrowest slice's width: a vector width that fits every slice.</summary>
    private int MinWidth()
    {
        int width = int.MaxValue;
        for (int k = 0; k < Count; k++)
        {
            width = Math.Min(width, Members[k].Forward.Width);
        }
        return width;
    }

    /// <summary>What <see cref="OneMaxRows"/> needs: the slices and the group's rows.</summary>
    private struct OneMaxWork
    {
        public SliceGroupMember<T>* Members;
        public int Count;
        public int First;
        public int End;
        public VocabularyPartial* Partials;
        public int Columns;
    }

    /// <summary>
    /// The one-max pass over the group's rows, each row while it is in cache — the one-shot fused cross-entropy's row
    /// (<see cref="CrossEntropyOp{T}"/>) with its columns in the slices' buffers: M = the max over every slice (taken in the
    /// previous row's exp passes when every slice's row is at most 16 KB), each slice's exps exp(x − M) stored into its
    /// gradient and summed (Σe over the slices in slice order, in double), the row's combined partial (M, S, x_t, w_t, …),
    /// then each slice's exps scaled by (w_t + 2λ·log Z)·GradientScale / S and −w_t·GradientScale added at the target. No
    /// per-slice partials, no combination and no ratios exp(m − M): within a few ulp of the per-slice calls (whose exps
    /// are relative to each slice's own max), the same bits for any thread count and in place.
    /// </summary>
    private readonly struct OneMaxRows : IRowKernel<T, OneMaxWork>
    {
        public static void Run<TOps, TV>(scoped ref OneMaxWork work)
            where TOps : ISimd<TV, T>
            where TV : struct
        {
            SliceGroupMember<T>* members = work.Members;
            int count = work.Count;
            ref readonly VocabularySliceOp<T, T, T> first = ref members[0].Forward;
            ref readonly VocabularySliceOp<T, T, T> options = ref members[0].Backward;
            // W = Σ w over the vocabulary, summed slice by slice as the combination does (C without weights).
            bool carry = true;
            double weightSum = 0;
            for (int k = 0; k < count; k++)
            {
                carry &= SliceRowsOp<T, T, T>.AheadOf(in members[k].Forward) != 0;
                weightSum += members[k].Forward.SliceWeightSum;
            }
            const VocabularyPartial.PartialMarks Marks = VocabularyPartial.PartialMarks.WithoutShiftedSum | VocabularyPartial.PartialMarks.WithoutMoment;
            bool known = false;
            T carried = T.Zero;
            for (int row = work.First; row < work.End; row++)
            {
                long target = first.Targets32 != null ? first.Targets32[row] : first.Targets64[row];
                if (target == first.IgnoreIndex)
                {
                    VocabularyPartial.Write(ref work.Partials[row], 0, 0, 0, 0, 0, 0, 0, target, work.Columns, false, true);
                    for (int k = 0; k < count; k++)
                    {
                        ref readonly VocabularySliceOp<T, T, T> slice = ref members[k].Forward;
                        new Span<T>(slice.Gradient + (row * slice.Stride), slice.Width).Clear();
                    }
                    known = false;
                    continue;
                }

                // The target's slice and logit, read before the exps may be stored over the logits.
                int owner = 0;
                while (target - members[owner].Forward.Offset >= members[owner].Forward.Width)
                {
                    owner++;
                }
                nint local = (nint)(target - members[owner].Forward.Offset);
                double targetLogit = Floats<T>.ToDouble(members[owner].Forward.Logits[(row * members[owner].Forward.Stride) + local]);

                // The max without a NaN test (a NaN shows in the sum); a +∞ maximum needs the exact pass (exp(∞ − ∞) is NaN).
                T max = T.NegativeInfinity;
                if (known)
                {
                    max = carried;
                }
                else
                {
                    for (int k = 0; k < count; k++)
                    {
                        ref readonly VocabularySliceOp<T, T, T> slice = ref members[k].Forward;
                        max = T.Max(max, Rows<TOps, TV, T>.ShiftMax(in Unsafe.AsRef<T>(slice.Logits + (row * slice.Stride)), slice.Width));
                    }
                }
                if (max == T.PositiveInfinity)
                {
                    max = T.NegativeInfinity;
                    for (int k = 0; k < count; k++)
                    {
                        ref readonly VocabularySliceOp<T, T, T> slice = ref members[k].Forward;
                        max = T.Max(max, VocabularySliceRow<TOps, TV, T>.Shift<T, NoCap<TV>, Off>(in Unsafe.AsRef<T>(slice.Logits + (row * slice.Stride)),
                            ref Unsafe.NullRef<T>(), slice.Width, default));
                    }
                }
                max = T.Max(max, FloatLimits<T>.MinValue);
                bool next = carry && row + 1 < work.End;
                double sum = 0;
                T nextMax = T.NegativeInfinity;
                for (int k = 0; k < count; k++)
                {
                    ref readonly VocabularySliceOp<T, T, T> slice = ref members[k].Forward;
                    ref T x = ref Unsafe.AsRef<T>(slice.Logits + (row * slice.Stride));
                    ref T e = ref Unsafe.AsRef<T>(slice.Gradient + (row * slice.Stride));
                    T laneMax = T.NegativeInfinity;
                    T part = next
                        ? VocabularySliceRow<TOps, TV, T>.ExpSum<Off, Off, On>(in x, ref e, slice.Width, max, slice.Stride, out _, ref laneMax)
                        : VocabularySliceRow<TOps, TV, T>.ExpSum<Off, Off, Off>(in x, ref e, slice.Width, max, SliceRowsOp<T, T, T>.AheadOf(in slice), out _, ref laneMax);
                    nextMax = T.Max(nextMax, laneMax);
                    sum += Floats<T>.ToDouble(part);
                }
                known = next;
                carried = nextMax;
                double rowMax = double.IsNaN(sum) && max != T.PositiveInfinity ? double.NaN : Floats<T>.ToDouble(max);
                ref VocabularyPartial partial = ref work.Partials[row];
                double targetWeight = first.Weight != null ? Floats<T>.ToDouble(first.Weight[target]) : 1;
                VocabularyPartial.Write(ref partial, rowMax, sum, 0, 0, weightSum, targetLogit, targetWeight, target, work.Columns, true, false, Marks);

                SliceScales.CrossEntropy(in partial, options.Keep, 0, options.ZCoefficient, options.GradientScale, 1, out double a, out double s, out _);
                T scale = Floats<T>.FromDouble(s);
                for (int k = 0; k < count; k++)
                {
                    ref readonly VocabularySliceOp<T, T, T> slice = ref members[k].Forward;
                    ref T g = ref Unsafe.AsRef<T>(slice.Gradient + (row * slice.Stride));
                    VocabularySliceRow<TOps, TV, T>.Rescale<T, NoCap<TV>, NoWeights<TV>, ScaleTerm>(in g, ref g, slice.Width, default, default,
                        T.Zero, scale, T.Zero, T.Zero, SliceRowsOp<T, T, T>.AheadOf(in slice));
                }
                ref readonly VocabularySliceOp<T, T, T> at = ref members[owner].Forward;
                at.Gradient[(row * at.Stride) + local] += Floats<T>.FromDouble(-a);
            }
        }
    }

    /// <summary>Whether every slice's forward takes the common op and all slices have one width (so one dispatch serves them all).</summary>
    private bool SameCommonWidth()
    {
        for (int k = 0; k < Count; k++)
        {
            if (!Members[k].ForwardCommon || Members[k].Forward.Width != Members[0].Forward.Width)
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>What the width-dispatched kernels below need: the slice's op for the group (or the first of <see cref="Count"/>), which path it takes, the rows.</summary>
    private struct SliceWork
    {
        public SliceRowsOp<T, T, T>* Op;
        public bool Common;
        public int First;
        public int End;
        public int Row;
        public int Count;
    }

    /// <summary>The group's storing forwards slice by slice (each over the group's rows), every slice on the common op at one width.</summary>
    private readonly struct ForwardRows : IRowKernel<T, SliceWork>
    {
        public static void Run<TOps, TV>(scoped ref SliceWork work)
            where TOps : ISimd<TV, T>
            where TV : struct
        {
            for (int k = 0; k < work.Count; k++)
            {
                work.Op[k].ForwardRows<TOps, TV>(work.First, work.End);
            }
        }
    }

    /// <summary>One row of one slice's storing forward, at the width of the slice's own call.</summary>
    private readonly struct ForwardRow : IRowKernel<T, SliceWork>
    {
        public static void Run<TOps, TV>(scoped ref SliceWork work)
            where TOps : ISimd<TV, T>
            where TV : struct
        {
            if (work.Common)
            {
                work.Op->ForwardRow<TOps, TV>(work.Row);
            }
            else
            {
                work.Op->Op.Row<TOps, TV>(work.Row);
            }
        }
    }

    /// <summary>The group's rows of one slice's stored backward, at the width of the slice's own call.</summary>
    private readonly struct BackwardRows : IRowKernel<T, SliceWork>
    {
        public static void Run<TOps, TV>(scoped ref SliceWork work)
            where TOps : ISimd<TV, T>
            where TV : struct
        {
            if (work.Common)
            {
                work.Op->Backward<TOps, TV>(work.First, work.End);
                return;
            }
            var op = work.Op->Op;
            for (int row = work.First; row < work.End; row++)
            {
                op.Row<TOps, TV>(row);
            }
        }
    }
}
