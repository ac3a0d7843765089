using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Losses;

/// <summary>
/// What one slice of a vocabulary contributes to one row's cross-entropy, token log-probability and entropy: the
/// normaliser of its columns and the sums the loss needs. Partials of disjoint slices of the same row combine
/// (<see cref="Combine(VocabularyPartial, VocabularyPartial)"/>) into the partial of their union; once every column is
/// covered, the row's loss, log-probability, entropy and gradient follow from it (<see cref="CrossEntropySlices"/>,
/// <see cref="TokenLogProbabilities"/>).
/// </summary>
/// <remarks>
/// <para>A plain blittable value of 72 bytes, fixed layout, no references: a span of partials can be sent over any
/// all-reduce as bytes (<c>MemoryMarshal.AsBytes</c>) and combined on the other side, in any grouping. Values are in
/// double whatever the logits' type, so that combining adds no error of its own beyond double rounding.</para>
/// <para>Per row, with capped logits x̃ over the covered columns C_s, M = <see cref="Max"/>: S = Σ exp(x̃ − M),
/// E = Σ exp(x̃ − M)·(x̃ − M), L = Σ w·(M − x̃), W = Σ w. Combining (M₁, …) and (M₂, …) with M = max(M₁, M₂),
/// rₖ = exp(Mₖ − M): S = r₁S₁ + r₂S₂, E = Σ rₖ(Eₖ + (Mₖ − M)Sₖ), L = Σ Lₖ + (M − Mₖ)Wₖ, W = W₁ + W₂. Exact in exact
/// arithmetic and deterministic for a given order; any grouping agrees to a few ulp.</para>
/// <para>Edge cases: a slice of only −∞ (masked) logits has S = 0 and M at the most negative finite value of the
/// logits' type, and leaves the others unchanged when combined; a NaN logit makes M and everything after it NaN. Rows whose
/// target is the ignore index carry only <see cref="Target"/>, <see cref="Columns"/> and <see cref="Ignored"/>.</para>
/// </remarks>
[StructLayout(LayoutKind.Sequential)]
public readonly struct VocabularyPartial : IEquatable<VocabularyPartial>
{
    // Explicit fields in the order of the layout (72 bytes): seven doubles, the target, the column count, two flags,
    // the marks and one reserved byte, so that every byte of a partial is written (partials travel as bytes).
    private readonly double max;
    private readonly double sumOfExp;
    private readonly double expMoment;
    private readonly double shiftedSum;
    private readonly double weightSum;
    private readonly double targetLogit;
    private readonly double targetWeight;
    private readonly long target;
    private readonly int columns;
    private readonly bool targetFound;
    private readonly bool ignored;
    private readonly PartialMarks marks;
    private readonly byte reserved;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal VocabularyPartial(double max, double sumOfExp, double expMoment, double shiftedSum, double weightSum,
        double targetLogit, double targetWeight, long target, int columns, bool targetFound, bool ignored, PartialMarks marks = PartialMarks.None)
    {
        Unsafe.SkipInit(out this);
        Write(ref this, max, sumOfExp, expMoment, shiftedSum, weightSum, targetLogit, targetWeight, target, columns, targetFound, ignored, marks);
    }

    /// <summary>
    /// Writes a partial's fields straight into <paramref name="destination"/> (the same values as the constructor), so
    /// that a row's partial is not built as a temporary and then copied: the copy's wide loads right after the fields'
    /// narrow stores stall on store forwarding.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Write(ref VocabularyPartial destination, double max, double sumOfExp, double expMoment, double shiftedSum,
        double weightSum, double targetLogit, double targetWeight, long target, int columns, bool targetFound, bool ignored,
        PartialMarks marks = PartialMarks.None)
    {
        Unsafe.AsRef(in destination.max) = max;
        Unsafe.AsRef(in destination.sumOfExp) = sumOfExp;
        Unsafe.AsRef(in destination.expMoment) = expMoment;
        Unsafe.AsRef(in destination.shiftedSum) = shiftedSum;
        Unsafe.AsRef(in destination.weightSum) = weightSum;
        Unsafe.AsRef(in destination.targetLogit) = targetLogit;
        Unsafe.AsRef(in destination.targetWeight) = targetWeight;
        Unsafe.AsRef(in destination.target) = target;
        Unsafe.AsRef(in destination.columns) = columns;
        Unsafe.AsRef(in destination.targetFound) = targetFound;
        Unsafe.AsRef(in destination.ignored) = ignored;
        Unsafe.AsRef(in destination.marks) = marks;
        Unsafe.AsRef(in destination.reserved) = 0;
    }

    /// <summary>M: the largest (capped) logit of the covered columns, at least the most negative finite value of the logits' type.</summary>
    public double Max => max;

    /// <summary>S = Σ exp(x̃ − M) over the covered columns.</summary>
    public double SumOfExp => sumOfExp;

    /// <summary>E = Σ exp(x̃ − M)·(x̃ − M): with S, gives the entropy log S − E/S.</summary>
    public double ExpMoment => expMoment;

    /// <summary>L = Σ w_c·(M − x̃_c): the label-smoothing sum, kept as non-negative terms (no cancellation).</summary>
    public double ShiftedSum => shiftedSum;

    /// <summary>W = Σ w_c over the covered columns (their number without weights).</summary>
    public double WeightSum => weightSum;

    /// <summary>x̃ at the target, when a covered column is the target (<see cref="TargetFound"/>).</summary>
    public double TargetLogit => targetLogit;

    /// <summary>w at the target (1 without weights), when <see cref="TargetFound"/>.</summary>
    public double TargetWeight => targetWeight;

    /// <summary>The row's target: a class index, or the ignore index. Partials of one row agree on it.</summary>
    public long Target => target;

    /// <summary>How many columns of the vocabulary this partial covers.</summary>
    public int Columns => columns;

    /// <summary>True when the target is one of the covered columns.</summary>
    public bool TargetFound => targetFound;

    /// <summary>True when the target was the ignore index: the row counts for nothing.</summary>
    public bool Ignored => ignored;

    /// <summary>
    /// What a storing forward did and left out (in the struct's padding: the size stays 72 bytes). Not part of equality.
    /// </summary>
    internal PartialMarks Marks => marks;

    /// <summary>
    /// Set by the forward passes that stored this slice's exps exp(x̃ − <see cref="Max"/>) into a gradient buffer; the
    /// backward passes that only rescale those exps require it, so that partials of a forward that stored nothing are refused.
    /// </summary>
    internal bool ExpsStored => (Marks & PartialMarks.ExpsStored) != 0;

    /// <summary>The entropy's moment <see cref="ExpMoment"/> was not summed (it reads 0): entropies need it.</summary>
    internal bool WithoutMoment => (Marks & PartialMarks.WithoutMoment) != 0;

    /// <summary>The smoothing sum <see cref="ShiftedSum"/> was not summed (it reads 0): a loss with label smoothing needs it.</summary>
    internal bool WithoutShiftedSum => (Marks & PartialMarks.WithoutShiftedSum) != 0;

    /// <summary>
    /// Set by a storing forward whose slice may hold a −∞ (masked) logit (its pass saw one, or could not tell): the entropy's
    /// gradient from its stored exps then floors x̃ − M (a slice without the mark needs no floor, one operation fewer).
    /// </summary>
    internal bool MaskedLogits => (Marks & PartialMarks.MaskedLogits) != 0;

    [Flags]
    internal enum PartialMarks : byte
    {
        None = 0,
        ExpsStored = 1,
        WithoutMoment = 2,
        WithoutShiftedSum = 4,
        MaskedLogits = 8,
    }

    /// <summary>log Σ exp(x̃) over the covered columns: M + log S.</summary>
    public double LogSumExp => Max + Math.Log(SumOfExp);

    /// <summary>The partial of the union of two disjoint slices of the same row. <c>default</c> is the identity.</summary>
    /// <param name="left">One partial.</param>
    /// <param name="right">Another partial of the same row, over other columns.</param>
    /// <returns>The combined partial.</returns>
    /// <exception cref="ArgumentException">The partials belong to rows with different targets (different batches or rows), or
    /// both contain the target column (the slices overlap).</exception>
    public static VocabularyPartial Combine(VocabularyPartial left, VocabularyPartial right) =>
        TryCombine(left, right, out var result) switch
        {
            CombineError.None => result,
            CombineError.Target => throw new ArgumentException($"The partials have different targets ({left.Target} and {right.Target}): they belong to different rows or batches.", nameof(right)),
            _ => throw new ArgumentException($"Both partials contain the target column {left.Target}: their slices overlap.", nameof(right)),
        };

    internal enum CombineError
    {
        None,
        Target,
        Overlap,
    }

    /// <summary>Whether two partials can be combined (what <see cref="TryCombine"/> would return), without combining them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static CombineError CheckCombine(in VocabularyPartial left, in VocabularyPartial right) =>
        left.Columns == 0 || right.Columns == 0 ? CombineError.None
        : left.Target != right.Target || left.Ignored != right.Ignored ? CombineError.Target
        : left.TargetFound && right.TargetFound ? CombineError.Overlap
        : CombineError.None;

    internal static CombineError TryCombine(in VocabularyPartial left, in VocabularyPartial right, out VocabularyPartial result)
    {
        var error = CheckCombine(in left, in right);
        if (error != CombineError.None)
        {
            result = default;
            return error;
        }
        result = left;
        CombineInto(ref result, in right);
        return CombineError.None;
    }

    /// <summary>
    /// accumulator = Combine(accumulator, right), written field by field into <paramref name="accumulator"/> (no temporary
    /// and copy), for partials that <see cref="CheckCombine"/> accepts. Every input is read before anything is written.
    /// </summary>
    internal static void CombineInto(ref VocabularyPartial accumulator, in VocabularyPartial right) =>
        CombineInto(ref accumulator, in right, Kernels.RowScalars.Exp(CombineShift(in accumulator, in right)));

    /// <summary>
    /// The one shift of a combination that is not 0, −|M₁ − M₂| (NaN for a NaN max or ∞ − ∞; 0 when a side is empty or
    /// ignored): its exp is the ratio <see cref="CombineInto(ref VocabularyPartial, in VocabularyPartial, double)"/> takes, so
    /// that a batch can take the exps of several rows in one vector.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static double CombineShift(in VocabularyPartial left, in VocabularyPartial right) =>
        left.Columns == 0 || right.Columns == 0 || left.Ignored ? 0 : -Math.Abs(left.Max - right.Max);

    /// <summary>
    /// <see cref="CombineInto(ref VocabularyPartial, in VocabularyPartial)"/> given <paramref name="ratio"/> = exp of
    /// <see cref="CombineShift"/> (with the library's exp, <see cref="Kernels.RowScalars"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void CombineInto(ref VocabularyPartial accumulator, in VocabularyPartial right, double ratio)
    {
        if (accumulator.Columns == 0)
        {
            accumulator = right;
            return;
        }
        if (right.Columns == 0)
        {
            return;
        }
        ref readonly VocabularyPartial left = ref accumulator;
        int columns = left.Columns + right.Columns;
        if (left.Ignored)
        {
            Write(ref accumulator, 0, 0, 0, 0, 0, 0, 0, left.Target, columns, false, true);
            return;
        }
        double max = Math.Max(left.Max, right.Max);
        double leftShift = left.Max - max, rightShift = right.Max - max;
        // One of the shifts is 0 (exp(0) = 1 exactly), the other is CombineShift: one exp per combination, given.
        double leftRatio = leftShift == 0 ? 1 : ratio, rightRatio = rightShift == 0 ? 1 : ratio;
        double sum = (left.SumOfExp * leftRatio) + (right.SumOfExp * rightRatio);
        double moment = (leftRatio * (left.ExpMoment + (leftShift * left.SumOfExp))) + (rightRatio * (right.ExpMoment + (rightShift * right.SumOfExp)));
        double shifted = left.ShiftedSum - (leftShift * left.WeightSum) + right.ShiftedSum - (rightShift * right.WeightSum);
        double weightSum = left.WeightSum + right.WeightSum;
        bool leftFound = left.TargetFound;
        double targetLogit = leftFound ? left.TargetLogit : right.TargetLogit;
        double targetWeight = leftFound ? left.TargetWeight : right.TargetWeight;
        long target = left.Target;
        // A sum left out of either side is left out of the union; the union's exps are stored nowhere.
        var marks = (left.Marks | right.Marks) & ~PartialMarks.ExpsStored;
        Write(ref accumulator, max, sum, moment, shifted, weightSum, targetLogit, targetWeight, target, columns,
            leftFound || right.TargetFound, false, marks);
    }

    /// <inheritdoc/>
    public bool Equals(VocabularyPartial other) =>
        Max.Equals(other.Max) && SumOfExp.Equals(other.SumOfExp) && ExpMoment.Equals(other.ExpMoment) && ShiftedSum.Equals(other.ShiftedSum)
        && WeightSum.Equals(other.WeightSum) && TargetLogit.Equals(other.TargetLogit) && TargetWeight.Equals(other.TargetWeight)
        && Target == other.Target && Columns == other.Columns && TargetFound == other.TargetFound && Ignored == other.Ignored;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is VocabularyPartial other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Max, SumOfExp, Target, Columns);

    /// <summary>Field-wise equality (NaN equals NaN).</summary>
    /// <param name="left">A partial.</param>
    /// <param name="right">Another.</param>
    public static bool operator ==(VocabularyPartial left, VocabularyPartial right) => left.Equals(right);

    /// <summary>Field-wise inequality.</summary>
    /// <param name="left">A partial.</param>
    /// <param name="right">Another.</param>
    public static bool operator !=(VocabularyPartial left, VocabularyPartial right) => !left.Equals(right);
}
