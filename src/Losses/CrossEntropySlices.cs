using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using Losses.Kernels;

namespace Losses;

/// <summary>
/// Cross-entropy over a vocabulary processed in slices of columns — chunks of one buffer, or shards held by different
/// devices or processes (Megatron's vocabulary-parallel cross-entropy) — with z-loss and logit soft-capping. Each slice
/// [offset, offset + width) gives one <see cref="VocabularyPartial"/> per row (<see cref="Forward{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, Span{VocabularyPartial}, int, int, int, int, ReadOnlySpan{T}, int, double, int)"/>);
/// the partials of all slices are combined (<see cref="Combine"/>, or any all-reduce using
/// <see cref="VocabularyPartial.Combine(VocabularyPartial, VocabularyPartial)"/>); the loss follows from the combined partials
/// (<see cref="Loss{T}"/>) and each slice writes its own part of the gradient (<see cref="Backward{T}(ReadOnlySpan{T}, ReadOnlySpan{VocabularyPartial}, Span{T}, int, int, int, int, Reduction, ReadOnlySpan{T}, double, double, double, int)"/>).
/// </summary>
/// <remarks>
/// <para>Per row i with target t, capped logits x̃ = c·tanh(x/c) (or x when <c>softCap</c> = +∞), log Z = log Σ exp(x̃),
/// smoothing ε over C classes, class weights w: ℓᵢ = (1 − ε)·w_t·(log Z − x̃_t) + (ε/C)·Σ_c w_c·(log Z − x̃_c), as PyTorch's
/// <c>F.cross_entropy</c> (and <see cref="CrossEntropy.Forward{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, int, Span{T}, Reduction, Span{T}, ReadOnlySpan{T}, int, double, double, double, int)"/>) on x̃, plus the z-loss λ·(log Z)² (PaLM; Liger-Kernel's
/// <c>lse_square_scale</c>), which is not weighted. Rows whose target is the ignore index count for nothing.</para>
/// <para>Reductions: Sum is Σ ℓᵢ + Σ zᵢ; Mean is Σ ℓᵢ / D + Σ zᵢ / N, with D = Σ w_t over counted rows (PyTorch's divisor)
/// and N the number of counted rows (Liger-Kernel's z-loss divisor; without weights D = N); None writes ℓᵢ + zᵢ per row.
/// All rows ignored: Mean is NaN (0/0), as PyTorch.</para>
/// <para>Gradient of one slice: ∂/∂x_j = cap′(x_j)·(s·softmax(x̃)_j − b·w_j − a·[j = t]) with a = (1 − ε)·w_t·r,
/// b = (ε/C)·r, s = a + b·Σw + 2λ·log Z·r_z, r = 1/D and r_z = 1/N for Mean (1 otherwise), cap′(x) = 1 − tanh²(x/c).</para>
/// <para>Soft-capping and masks: a −∞ logit stays −∞ under the cap (the class stays masked, derivative 0). PyTorch code
/// that composes <c>c * torch.tanh(x / c)</c> turns it into −c and silently gives the masked class probability; this
/// deliberate difference is the only one. +∞ caps to c, as tanh.</para>
/// <para>Accuracy: any slicing of a row (one slice, several, uneven, one column each, combined in any order) gives the
/// one-shot loss and gradient within a few ulp (property-tested); partials are held and combined in double.</para>
/// <para>Parameters follow the library's order (CONTRIBUTING.md, API rules): inputs, the required output
/// (<c>partials</c>, or the gradient of <c>Backward</c>), then the slice's place in the vocabulary — <c>classCount</c>,
/// <c>offset</c>, <c>width</c>, and <c>stride</c> (elements from one row's slice to the next, 0 for a contiguous
/// [rows × width] shard) — then <c>reduction</c> and the options, and <c>maxDegreeOfParallelism</c> last. The tensor forms
/// take the slice as a [rows × width] tensor (a dense shard, or a view of a wider tensor's columns): its shape gives
/// width and stride, and <c>classCount</c> and <c>offset</c> say where it sits in the vocabulary.</para>
/// <para>Cost per slice: one pass with one exp per element (forward); one pass with one exp per element (backward). The
/// storing form (Forward with a gradient, then Backward with the slice's own partials) is faster: a max pass and one pass
/// with one exp that leaves the exps in the gradient (forward), one pass without exp that rescales them (backward) — the
/// cost of the one-shot fused cross-entropy. Soft-capping adds a tanh (one exp and a division) per element to each pass. No allocation.</para>
/// </remarks>
/// <example>
/// <code>
/// // Two slices of a [rows × 8] buffer; a shard held elsewhere works the same, with its own stride.
/// const int rows = 2;
/// float[] logits = [1f, 2f, 0f, -1f, 3f, 0.5f, 0f, 1f,   -2f, 0f, 4f, 1f, 0f, 0f, 2f, -1f];
/// int[] targets = [4, 2];
/// var gradient = new float[logits.Length];
/// var left = new VocabularyPartial[rows];
/// var right = new VocabularyPartial[rows];
/// CrossEntropySlices.Forward&lt;float&gt;(logits, targets, left, classCount: 8, offset: 0, width: 4, stride: 8);
/// CrossEntropySlices.Forward&lt;float&gt;(logits.AsSpan(4), targets, right, 8, 4, 4, stride: 8);
/// CrossEntropySlices.Combine(right, left);                       // left now covers every column
/// float loss = CrossEntropySlices.Loss&lt;float&gt;(left, classCount: 8, zLoss: 1e-4);   // = CrossEntropy.Forward(…, zLoss: 1e-4)
/// CrossEntropySlices.Backward&lt;float&gt;(logits, left, gradient, 8, 0, 4, stride: 8, zLoss: 1e-4);
/// CrossEntropySlices.Backward&lt;float&gt;(logits.AsSpan(4), left, gradient.AsSpan(4), 8, 4, 4, stride: 8, zLoss: 1e-4);
/// </code>
/// </example>
/// <seealso cref="CrossEntropy"/>
/// <seealso cref="TokenLogProbabilities"/>
/// <seealso cref="SoftmaxNormalizer"/>
[SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters",
    Justification = "Overloads differ only in the element types of their required spans (T, Half, bfloat16 logits; int or long targets; Half or float gradient), with the same optional parameters in the same order, as PyTorch's dtypes.")]
public static partial class CrossEntropySlices
{
    /// <summary>The partials of one slice [offset, offset + width) of every row.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="logits">The slice of row 0 starts at index 0, row i's at i·stride; width logits each.</param>
    /// <param name="targets">One class index per row (in [0, classCount)) or <paramref name="ignoreIndex"/>.</param>
    /// <param name="partials">At least rows long: receives each row's partial over the slice.</param>
    /// <param name="classCount">C, the whole vocabulary's size.</param>
    /// <param name="offset">The slice's first column, in [0, C).</param>
    /// <param name="width">The slice's number of columns, in [1, C − offset].</param>
    /// <param name="stride">Elements from one row's slice to the next; 0 (default) means <paramref name="width"/> (a contiguous shard).</param>
    /// <param name="weight">Empty, or C class weights of the whole vocabulary (PyTorch's <c>weight</c>).</param>
    /// <param name="ignoreIndex">Rows with this target count for nothing (default −100).</param>
    /// <param name="softCap">c &gt; 0 of the soft-cap c·tanh(x/c); +∞ (default) for none.</param>
    /// <param name="maxDegreeOfParallelism">1 (default) for one thread, n for up to n threads, −1 for all cores; the result is the same for any value.</param>
    /// <exception cref="ArgumentOutOfRangeException">The slice is outside the vocabulary, a target is not a class nor the ignore
    /// index (the message gives its row), or softCap is not positive.</exception>
    /// <exception cref="ArgumentException">A span is too short; nothing is written.</exception>
    public static void Forward<T>(ReadOnlySpan<T> logits, ReadOnlySpan<int> targets, Span<VocabularyPartial> partials,
        int classCount, int offset, int width, int stride = 0, ReadOnlySpan<T> weight = default, int ignoreIndex = -100,
        double softCap = double.PositiveInfinity, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        ForwardCore(logits, new TargetSpan(targets), partials, classCount, offset, width, stride, weight, ignoreIndex, softCap, maxDegreeOfParallelism);

    /// <summary>The partials of one slice, with int64 targets (PyTorch's and TorchSharp's class-index type).</summary>
    /// <inheritdoc cref="Forward{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, Span{VocabularyPartial}, int, int, int, int, ReadOnlySpan{T}, int, double, int)"/>
    public static void Forward<T>(ReadOnlySpan<T> logits, ReadOnlySpan<long> targets, Span<VocabularyPartial> partials,
        int classCount, int offset, int width, int stride = 0, ReadOnlySpan<T> weight = default, long ignoreIndex = -100,
        double softCap = double.PositiveInfinity, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        ForwardCore(logits, new TargetSpan(targets), partials, classCount, offset, width, stride, weight, ignoreIndex, softCap, maxDegreeOfParallelism);

    /// <summary>The partials of one slice of Half logits (read as float; all arithmetic in float).</summary>
    /// <inheritdoc cref="Forward{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, Span{VocabularyPartial}, int, int, int, int, ReadOnlySpan{T}, int, double, int)"/>
    public static void Forward(ReadOnlySpan<Half> logits, ReadOnlySpan<long> targets, Span<VocabularyPartial> partials,
        int classCount, int offset, int width, int stride = 0, ReadOnlySpan<float> weight = default, long ignoreIndex = -100,
        double softCap = double.PositiveInfinity, int maxDegreeOfParallelism = 1) =>
        ForwardCore(logits, new TargetSpan(targets), partials, classCount, offset, width, stride, weight, ignoreIndex, softCap, maxDegreeOfParallelism);

    /// <summary>The partials of one slice of bfloat16 logits (read as float; all arithmetic in float).</summary>
    /// <inheritdoc cref="Forward{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, Span{VocabularyPartial}, int, int, int, int, ReadOnlySpan{T}, int, double, int)"/>
    public static void Forward(ReadOnlySpan<BFloat16> logits, ReadOnlySpan<long> targets, Span<VocabularyPartial> partials,
        int classCount, int offset, int width, int stride = 0, ReadOnlySpan<float> weight = default, long ignoreIndex = -100,
        double softCap = double.PositiveInfinity, int maxDegreeOfParallelism = 1) =>
        ForwardCore(logits, new TargetSpan(targets), partials, classCount, offset, width, stride, weight, ignoreIndex, softCap, maxDegreeOfParallelism);

    /// <summary>
    /// The partials of one slice, storing the slice's exps e = exp(x̃ − m) (m the row's max over the slice) into the slice of
    /// the gradient buffer, so that the backward of the same slice only rescales them
    /// (<see cref="Backward{T}(ReadOnlySpan{T}, ReadOnlySpan{VocabularyPartial}, ReadOnlySpan{VocabularyPartial}, Span{T}, int, int, int, int, Reduction, ReadOnlySpan{T}, double, double, double, int)"/>): the fast form, one exp per element over forward and backward together.
    /// </summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="logits">The slice of row 0 starts at index 0, row i's at i·stride; width logits each.</param>
    /// <param name="targets">One class index per row (in [0, classCount)) or <paramref name="ignoreIndex"/>.</param>
    /// <param name="partials">At least rows long: receives each row's partial over the slice (keep them: the backward needs them besides the combined ones).</param>
    /// <param name="gradient">The slice of the gradient buffer, laid out as <paramref name="logits"/> (same stride): receives the exps
    /// e = exp(x̃ − m) of every counted row (rows with the ignore index are left as they are). May be the logits themselves
    /// without a soft-cap (the logits are then overwritten, and the backward does not read them); with a soft-cap it must be
    /// apart from them (the backward reads the logits for the cap's derivative).</param>
    /// <param name="classCount">C, the whole vocabulary's size.</param>
    /// <param name="offset">The slice's first column, in [0, C).</param>
    /// <param name="width">The slice's number of columns, in [1, C − offset].</param>
    /// <param name="stride">Elements from one row's slice to the next; 0 (default) means <paramref name="width"/> (a contiguous shard).</param>
    /// <param name="weight">Empty, or C class weights of the whole vocabulary (PyTorch's <c>weight</c>).</param>
    /// <param name="ignoreIndex">Rows with this target count for nothing (default −100).</param>
    /// <param name="labelSmoothing">ε in [0, 1] as later given to <see cref="Loss{T}"/>: only whether it is 0 matters here — the
    /// smoothing sum <see cref="VocabularyPartial.ShiftedSum"/> is summed only when it is not (the loss refuses partials
    /// without it when ε ≠ 0; the gradient does not need it).</param>
    /// <param name="entropy">True to also sum the entropy's moment <see cref="VocabularyPartial.ExpMoment"/> (for
    /// <see cref="TokenLogProbabilities"/>' entropies and entropy gradients from these partials, which refuse partials without it).</param>
    /// <param name="softCap">c &gt; 0 of the soft-cap c·tanh(x/c); +∞ (default) for none.</param>
    /// <param name="maxDegreeOfParallelism">1 (default) for one thread, n for up to n threads, −1 for all cores; the result is the same for any value.</param>
    /// <remarks>
    /// <para>The contract: between this call and the backward of the same slice, the gradient slice must hold the exps
    /// unchanged, and the backward must be given these partials as <c>slicePartials</c> (besides the combined ones). The
    /// partials are marked as stored: the backward refuses partials of the plain forward, of another slice width, of
    /// other targets, or whose max exceeds the combined max (the message names the row); the exps themselves are not
    /// re-checked (that would cost a pass) — a gradient buffer overwritten in between gives a wrong gradient.</para>
    /// <para>The partials equal those of the plain forward within a few ulp (the max is taken in a first pass here, online
    /// there), and the loss and the gradient equal the plain forward/backward's within a few ulp; a −∞ logit stores 0, a NaN
    /// makes its row NaN. Sums not asked for read 0 and are marked as left out (combining keeps the mark), so
    /// that a later use that needs them throws instead of using a 0.</para>
    /// <para>Cost: a max pass and one pass with one exp per element that also writes the exps; the backward is then one
    /// pass without exp. No allocation.</para>
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException">The slice is outside the vocabulary, a target is not a class nor the ignore
    /// index (the message gives its row), or softCap is not positive.</exception>
    /// <example>
    /// <code>
    /// // Two slices of a [rows × 8] buffer, storing form: each slice's exps wait in its columns of the gradient.
    /// const int rows = 2;
    /// float[] logits = [1f, 2f, 0f, -1f, 3f, 0.5f, 0f, 1f,   -2f, 0f, 4f, 1f, 0f, 0f, 2f, -1f];
    /// int[] targets = [4, 2];
    /// var gradient = new float[logits.Length];
    /// var left = new VocabularyPartial[rows];
    /// var right = new VocabularyPartial[rows];
    /// var all = new VocabularyPartial[rows];
    /// CrossEntropySlices.Forward&lt;float&gt;(logits, targets, left, gradient, classCount: 8, offset: 0, width: 4, stride: 8);
    /// CrossEntropySlices.Forward&lt;float&gt;(logits.AsSpan(4), targets, right, gradient.AsSpan(4), 8, 4, 4, stride: 8);
    /// CrossEntropySlices.Combine(left, all);
    /// CrossEntropySlices.Combine(right, all);
    /// float loss = CrossEntropySlices.Loss&lt;float&gt;(all, classCount: 8, zLoss: 1e-4);
    /// CrossEntropySlices.Backward&lt;float&gt;(logits, left, all, gradient, 8, 0, 4, stride: 8, zLoss: 1e-4);   // each slice with its own partials
    /// CrossEntropySlices.Backward&lt;float&gt;(logits.AsSpan(4), right, all, gradient.AsSpan(4), 8, 4, 4, stride: 8, zLoss: 1e-4);
    /// </code>
    /// </example>
    /// <exception cref="ArgumentException">A span is too short, or the gradient partially overlaps the logits (or overlaps them
    /// at all with a soft-cap); nothing is written.</exception>
    public static void Forward<T>(ReadOnlySpan<T> logits, ReadOnlySpan<int> targets, Span<VocabularyPartial> partials, Span<T> gradient,
        int classCount, int offset, int width, int stride = 0, ReadOnlySpan<T> weight = default, int ignoreIndex = -100, double labelSmoothing = 0,
        bool entropy = false, double softCap = double.PositiveInfinity, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        ForwardCore(logits, new TargetSpan(targets), partials, classCount, offset, width, stride, weight, ignoreIndex, softCap, maxDegreeOfParallelism,
            gradient, storing: true, labelSmoothing, entropy);

    /// <summary>The partials of one slice, storing its exps into the gradient, with int64 targets.</summary>
    /// <inheritdoc cref="Forward{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, Span{VocabularyPartial}, Span{T}, int, int, int, int, ReadOnlySpan{T}, int, double, bool, double, int)"/>
    public static void Forward<T>(ReadOnlySpan<T> logits, ReadOnlySpan<long> targets, Span<VocabularyPartial> partials, Span<T> gradient,
        int classCount, int offset, int width, int stride = 0, ReadOnlySpan<T> weight = default, long ignoreIndex = -100, double labelSmoothing = 0,
        bool entropy = false, double softCap = double.PositiveInfinity, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        ForwardCore(logits, new TargetSpan(targets), partials, classCount, offset, width, stride, weight, ignoreIndex, softCap, maxDegreeOfParallelism,
            gradient, storing: true, labelSmoothing, entropy);

    /// <summary>accumulator[i] = Combine(accumulator[i], partials[i]) for every row: the partials of two sets of slices of the same rows.</summary>
    /// <param name="partials">The partials to add in.</param>
    /// <param name="accumulator">As many partials, of the same rows over other columns; receives the combination.</param>
    /// <exception cref="ArgumentException">The lengths differ (different batches), or a row's partials disagree on the target
    /// or both hold it (the message gives the row); nothing is written.</exception>
    public static void Combine(ReadOnlySpan<VocabularyPartial> partials, Span<VocabularyPartial> accumulator)
    {
        Guard.SameLength(accumulator.Length, partials.Length, nameof(partials), nameof(accumulator));
        for (int row = 0; row < partials.Length; row++)
        {
            var error = VocabularyPartial.CheckCombine(in accumulator[row], in partials[row]);
            if (error != VocabularyPartial.CombineError.None)
            {
                throw new ArgumentException(error == VocabularyPartial.CombineError.Target
                    ? $"partials[{row}] has target {partials[row].Target} but accumulator[{row}] has {accumulator[row].Target}: they are partials of different rows or batches."
                    : $"partials[{row}] and accumulator[{row}] both contain the target column {partials[row].Target}: their slices overlap.", nameof(partials));
            }
        }
        // The rows' ratios exp(−|M₁ − M₂|) a vector at a time (bitwise the one-row exp), then each row in place, field by
        // field: every input is read before the row's partial is written.
        Span<double> ratios = stackalloc double[RowScalars.Count];
        for (int start = 0; start < partials.Length; start += RowScalars.Count)
        {
            int count = Math.Min(RowScalars.Count, partials.Length - start);
            for (int k = 0; k < RowScalars.Count; k++)
            {
                ratios[k] = k < count ? VocabularyPartial.CombineShift(in accumulator[start + k], in partials[start + k]) : 0;
            }
            RowScalars.ExpInPlace(ratios);
            for (int k = 0; k < count; k++)
            {
                VocabularyPartial.CombineInto(ref accumulator[start + k], in partials[start + k], ratios[k]);
            }
        }
    }

    /// <summary>The reduced cross-entropy (+ z-loss) from partials combined over the whole vocabulary.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>: the type of <paramref name="losses"/> and the result.</typeparam>
    /// <param name="partials">One complete partial per row (covering all C columns).</param>
    /// <param name="classCount">C.</param>
    /// <param name="reduction">None, Mean (default) or Sum.</param>
    /// <param name="losses">With <see cref="Reduction.None"/>: at least rows long, receives ℓᵢ + zᵢ.</param>
    /// <param name="labelSmoothing">ε in [0, 1].</param>
    /// <param name="zLoss">λ ≥ 0 of the z-loss λ·(log Z)² (PaLM uses 1e-4); 0 (default) for none.</param>
    /// <returns>The reduced loss (for None, the sum).</returns>
    /// <exception cref="ArgumentException">A partial does not cover exactly the C columns (a slice is missing or counted
    /// twice; the message gives the row), or <paramref name="losses"/> is too short.</exception>
    /// <exception cref="ArgumentOutOfRangeException">reduction, labelSmoothing or zLoss is out of range.</exception>
    public static T Loss<T>(ReadOnlySpan<VocabularyPartial> partials, int classCount, Reduction reduction = Reduction.Mean,
        Span<T> losses = default, double labelSmoothing = 0, double zLoss = 0)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Guard.FloatOrDouble<T>();
        Reductions.Check(reduction);
        CheckOptions<T>(labelSmoothing, zLoss, double.PositiveInfinity);
        var (divisor, counted) = CheckComplete(partials, classCount, shiftedSum: labelSmoothing != 0);
        if (reduction == Reduction.None)
        {
            Guard.DestinationLength(partials.Length, losses.Length, nameof(losses));
            Guard.ApartAcrossTypes(partials, (ReadOnlySpan<T>)losses, nameof(partials), nameof(losses));
        }
        return LossOf(partials, classCount, reduction, losses, labelSmoothing, zLoss, divisor, counted);
    }

    /// <summary>The loop of <see cref="Loss{T}"/> over checked partials (their divisor D and counted rows N given).</summary>
    internal static T LossOf<T>(ReadOnlySpan<VocabularyPartial> partials, int classCount, Reduction reduction, Span<T> losses, double labelSmoothing,
        double zLoss, double divisor, int counted)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double zCoefficient = SliceLoss.ZCoefficient(zLoss, reduction, divisor, counted);
        var total = new CompensatedSum();

        // The rows' log S a vector at a time (RowScalars: ≤ 1 ulp, the same bits for any grouping).
        Span<double> logs = stackalloc double[RowScalars.Count];
        for (int start = 0; start < partials.Length; start += RowScalars.Count)
        {
            int count = Math.Min(RowScalars.Count, partials.Length - start);
            for (int k = 0; k < RowScalars.Count; k++)
            {
                logs[k] = k < count && !partials[start + k].Ignored ? partials[start + k].SumOfExp : 1;
            }
            RowScalars.LogInPlace(logs);
            for (int k = 0; k < count; k++)
            {
                int row = start + k;
                double loss = SliceLoss.Row(in partials[row], 1 - labelSmoothing, labelSmoothing / classCount, zCoefficient, logs[k]);
                if (reduction == Reduction.None)
                {
                    losses[row] = T.CreateTruncating(loss);
                }
                total.Add(loss);
            }
        }
        return T.CreateTruncating(Reductions.Apply(total.Value, reduction, divisor));
    }

    /// <summary>The gradient of the reduced loss with respect to one slice of the logits, given the combined partials.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="logits">The slice, laid out as in Forward.</param>
    /// <param name="partials">One complete partial per row (from Combine or an all-reduce).</param>
    /// <param name="gradient">Receives ∂loss/∂logits for the slice, with the same layout and stride as <paramref name="logits"/>; may be the logits themselves.</param>
    /// <param name="classCount">C.</param>
    /// <param name="offset">The slice's first column.</param>
    /// <param name="width">The slice's number of columns.</param>
    /// <param name="stride">Elements between rows; 0 means width.</param>
    /// <param name="reduction">As for <see cref="Loss{T}"/> (None: each row's own loss).</param>
    /// <param name="weight">The class weights given to Forward (empty for none).</param>
    /// <param name="labelSmoothing">ε, as for Loss.</param>
    /// <param name="zLoss">λ, as for Loss.</param>
    /// <param name="softCap">c, as given to Forward.</param>
    /// <param name="maxDegreeOfParallelism">1 (default) for one thread, n for up to n threads, −1 for all cores; the result is the same for any value.</param>
    /// <exception cref="ArgumentException">Incomplete partials, a slice outside the vocabulary, or spans too short; nothing is written.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public static void Backward<T>(ReadOnlySpan<T> logits, ReadOnlySpan<VocabularyPartial> partials, Span<T> gradient,
        int classCount, int offset, int width, int stride = 0, Reduction reduction = Reduction.Mean, ReadOnlySpan<T> weight = default,
        double labelSmoothing = 0, double zLoss = 0, double softCap = double.PositiveInfinity, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        BackwardCore<T, T, T>(logits, partials, gradient, classCount, offset, width, stride, reduction, weight, labelSmoothing, zLoss, softCap, maxDegreeOfParallelism);

    /// <summary>The gradient of one slice of Half logits, written as Half.</summary>
    /// <inheritdoc cref="Backward{T}(ReadOnlySpan{T}, ReadOnlySpan{VocabularyPartial}, Span{T}, int, int, int, int, Reduction, ReadOnlySpan{T}, double, double, double, int)"/>
    public static void Backward(ReadOnlySpan<Half> logits, ReadOnlySpan<VocabularyPartial> partials, Span<Half> gradient,
        int classCount, int offset, int width, int stride = 0, Reduction reduction = Reduction.Mean, ReadOnlySpan<float> weight = default,
        double labelSmoothing = 0, double zLoss = 0, double softCap = double.PositiveInfinity, int maxDegreeOfParallelism = 1) =>
        BackwardCore<float, Half, Half>(logits, partials, gradient, classCount, offset, width, stride, reduction, weight, labelSmoothing, zLoss, softCap, maxDegreeOfParallelism);

    /// <summary>The gradient of one slice of Half logits, written as float.</summary>
    /// <inheritdoc cref="Backward{T}(ReadOnlySpan{T}, ReadOnlySpan{VocabularyPartial}, Span{T}, int, int, int, int, Reduction, ReadOnlySpan{T}, double, double, double, int)"/>
    public static void Backward(ReadOnlySpan<Half> logits, ReadOnlySpan<VocabularyPartial> partials, Span<float> gradient,
        int classCount, int offset, int width, int stride = 0, Reduction reduction = Reduction.Mean, ReadOnlySpan<float> weight = default,
        double labelSmoothing = 0, double zLoss = 0, double softCap = double.PositiveInfinity, int maxDegreeOfParallelism = 1) =>
        BackwardCore<float, Half, float>(logits, partials, gradient, classCount, offset, width, stride, reduction, weight, labelSmoothing, zLoss, softCap, maxDegreeOfParallelism);

    /// <summary>The gradient of one slice of bfloat16 logits, written as float.</summary>
    /// <inheritdoc cref="Backward{T}(ReadOnlySpan{T}, ReadOnlySpan{VocabularyPartial}, Span{T}, int, int, int, int, Reduction, ReadOnlySpan{T}, double, double, double, int)"/>
    public static void Backward(ReadOnlySpan<BFloat16> logits, ReadOnlySpan<VocabularyPartial> partials, Span<float> gradient,
        int classCount, int offset, int width, int stride = 0, Reduction reduction = Reduction.Mean, ReadOnlySpan<float> weight = default,
        double labelSmoothing = 0, double zLoss = 0, double softCap = double.PositiveInfinity, int maxDegreeOfParallelism = 1) =>
        BackwardCore<float, BFloat16, float>(logits, partials, gradient, classCount, offset, width, stride, reduction, weight, labelSmoothing, zLoss, softCap, maxDegreeOfParallelism);

    /// <summary>The gradient of one slice of bfloat16 logits, written as bfloat16 (rounded to nearest even).</summary>
    /// <inheritdoc cref="Backward{T}(ReadOnlySpan{T}, ReadOnlySpan{VocabularyPartial}, Span{T}, int, int, int, int, Reduction, ReadOnlySpan{T}, double, double, double, int)"/>
    public static void Backward(ReadOnlySpan<BFloat16> logits, ReadOnlySpan<VocabularyPartial> partials, Span<BFloat16> gradient,
        int classCount, int offset, int width, int stride = 0, Reduction reduction = Reduction.Mean, ReadOnlySpan<float> weight = default,
        double labelSmoothing = 0, double zLoss = 0, double softCap = double.PositiveInfinity, int maxDegreeOfParallelism = 1) =>
        BackwardCore<float, BFloat16, BFloat16>(logits, partials, gradient, classCount, offset, width, stride, reduction, weight, labelSmoothing, zLoss, softCap, maxDegreeOfParallelism);

    /// <summary>
    /// The gradient of one slice from the exps its storing forward left in <paramref name="gradient"/>
    /// (<see cref="Forward{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, Span{VocabularyPartial}, Span{T}, int, int, int, int, ReadOnlySpan{T}, int, double, bool, double, int)"/>): each row is rescaled in one pass without exp,
    /// g = cap′(x)·(e·exp(m − M)·s/S − b·w − a·[j = t]) with the terms of the plain backward.
    /// </summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="logits">The slice, laid out as in Forward; read only with a soft-cap (for its derivative).</param>
    /// <param name="slicePartials">This slice's partials, as its storing forward wrote them (m and the marks checked here).</param>
    /// <param name="partials">One complete partial per row (from Combine or an all-reduce).</param>
    /// <param name="gradient">The gradient slice holding the stored exps; receives ∂loss/∂logits for the slice (same layout and
    /// stride as <paramref name="logits"/>). May be the logits themselves without a soft-cap.</param>
    /// <param name="classCount">C.</param>
    /// <param name="offset">The slice's first column.</param>
    /// <param name="width">The slice's number of columns.</param>
    /// <param name="stride">Elements between rows; 0 means width.</param>
    /// <param name="reduction">As for <see cref="Loss{T}"/> (None: each row's own loss).</param>
    /// <param name="weight">The class weights given to Forward (empty for none).</param>
    /// <param name="labelSmoothing">ε, as for Loss.</param>
    /// <param name="zLoss">λ, as for Loss.</param>
    /// <param name="softCap">c, as given to Forward.</param>
    /// <param name="maxDegreeOfParallelism">1 (default) for one thread, n for up to n threads, −1 for all cores; the result is the same for any value.</param>
    /// <remarks>
    /// <para>Equals the plain <see cref="Backward{T}(ReadOnlySpan{T}, ReadOnlySpan{VocabularyPartial}, Span{T}, int, int, int, int, Reduction, ReadOnlySpan{T}, double, double, double, int)"/>
    /// within a few ulp (the exps are rounded to T once, then scaled). Rows with the ignore index get a zero gradient. A
    /// masked (−∞) logit has a stored exp of 0 and gets the plain backward's value. Logits of ±1e4 are fine: the exps are
    /// relative to the slice's max (in (0, 1]) and exp(m − M) ≤ 1; a slice far below the row's max (m − M below about
    /// −87 in float) gets a ratio of 0 or a subnormal, as exp(x̃ − M) would be in the plain backward. No rows: nothing
    /// is written. If the gradient slice no longer holds the
    /// exps of the storing forward, the result is wrong: that is not detected (it would cost a pass); partials that do not fit
    /// are.</para>
    /// <para>Cost: per row one exp exp(m − M) (in double, with the library's exp, ≤ 1 ulp; 32 rows at a time) and one pass
    /// reading and writing the gradient, one multiply per element without smoothing (and reading the logits with a
    /// soft-cap). No allocation.</para>
    /// </remarks>
    /// <exception cref="ArgumentException">Incomplete partials; slice partials of another length, another width or other targets,
    /// not written by a storing forward, or whose max exceeds the combined max (the message gives the row); a slice outside the
    /// vocabulary, spans too short or overlapping; nothing is written.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public static void Backward<T>(ReadOnlySpan<T> logits, ReadOnlySpan<VocabularyPartial> slicePartials, ReadOnlySpan<VocabularyPartial> partials,
        Span<T> gradient, int classCount, int offset, int width, int stride = 0, Reduction reduction = Reduction.Mean, ReadOnlySpan<T> weight = default,
        double labelSmoothing = 0, double zLoss = 0, double softCap = double.PositiveInfinity, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        BackwardCore<T, T, T>(logits, partials, gradient, classCount, offset, width, stride, reduction, weight, labelSmoothing, zLoss, softCap, maxDegreeOfParallelism,
            slicePartials, stored: true);

    internal static unsafe void ForwardCore<T, TIn>(ReadOnlySpan<TIn> logits, TargetSpan targets, Span<VocabularyPartial> partials,
        int classCount, int offset, int width, int stride, ReadOnlySpan<T> weight, long ignoreIndex, double softCap, int maxDegreeOfParallelism,
        Span<T> gradient = default, bool storing = false, double labelSmoothing = 0, bool entropy = true)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TIn : unmanaged
    {
        Guard.FloatOrDouble<T>();
        RowDriver.CheckParallelism(maxDegreeOfParallelism);
        int rows = targets.Length;
        stride = CheckSlice(logits.Length, rows, classCount, offset, width, stride, nameof(logits));
        Guard.DestinationLength(rows, partials.Length, nameof(partials));
        CrossEntropy.CheckWeight(weight, classCount);
        CheckOptions<T>(labelSmoothing, 0, softCap);
        targets.Check(classCount, ignoreIndex, "targets");
        if (storing)
        {
            // The exps are stored into the gradient while the targets and weights are still read.
            CheckStoredLayout(logits, gradient, rows, classCount, offset, width, stride, softCap);
            Guard.ApartAcrossTypes(targets.Int32, (ReadOnlySpan<T>)gradient, "targets", nameof(gradient));
            Guard.ApartAcrossTypes(targets.Int64, (ReadOnlySpan<T>)gradient, "targets", nameof(gradient));
            Guard.Apart(weight, (ReadOnlySpan<T>)gradient, nameof(weight), nameof(gradient));
        }
        // The partials are an output: apart from every input and from the stored exps.
        ReadOnlySpan<VocabularyPartial> written = partials[..rows];
        Guard.ApartAcrossTypes(logits, written, nameof(logits), nameof(partials));
        Guard.ApartAcrossTypes(targets.Int32, written, "targets", nameof(partials));
        Guard.ApartAcrossTypes(targets.Int64, written, "targets", nameof(partials));
        Guard.ApartAcrossTypes(weight, written, nameof(weight), nameof(partials));
        Guard.ApartAcrossTypes((ReadOnlySpan<T>)gradient, written, nameof(gradient), nameof(partials));
        fixed (TIn* x = logits)
        fixed (int* t32 = targets.Int32)
        fixed (long* t64 = targets.Int64)
        fixed (T* w = weight)
        fixed (VocabularyPartial* p = partials)
        fixed (T* g = gradient)
        {
            var op = ForwardOp(x, targets.IsInt64 ? null : t32, targets.IsInt64 ? t64 : null, ignoreIndex, weight.IsEmpty ? null : w, weight,
                offset, width, stride, softCap, p, storing ? g : null, storing, entropy, labelSmoothing);
            if (!SliceRowsOp<T, TIn, T>.TryRun(in op, rows, null, maxDegreeOfParallelism))
            {
                RowDriver.Run<T, VocabularySliceOp<T, TIn, T>>(in op, rows, width, null, maxDegreeOfParallelism);
            }
        }
    }

    /// <summary>The op of a slice's forward (plain, or storing its exps into <paramref name="g"/>), as <see cref="ForwardCore"/> and <see cref="ForwardBackward{T}(ReadOnlySpan{ReadOnlyMemory{T}}, ReadOnlySpan{int}, ReadOnlySpan{Memory{T}}, Span{VocabularyPartial}, Reduction, Span{T}, ReadOnlySpan{T}, int, double, double, double, int)"/> build it.</summary>
    internal static unsafe VocabularySliceOp<T, TIn, T> ForwardOp<T, TIn>(TIn* x, int* targets32, long* targets64, long ignoreIndex, T* w,
        ReadOnlySpan<T> weight, int offset, int width, int stride, double softCap, VocabularyPartial* p, T* g, bool storing, bool entropy,
        double labelSmoothing)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TIn : unmanaged =>
        VocabularySliceOp<T, TIn, T>.Of(SliceMode.Statistics, x, stride, width, offset, softCap) with
        {
            Targets32 = targets32,
            Targets64 = targets64,
            IgnoreIndex = ignoreIndex,
            Weight = w,
            SliceWeightSum = weight.IsEmpty ? width : CrossEntropy.Sum(weight.Slice(offset, width)),
            Partials = p,
            Gradient = g,
            StoreExps = storing,
            WithoutMoment = storing && !entropy,
            WithoutShiftedSum = storing && labelSmoothing == 0,
        };

    internal static unsafe void BackwardCore<T, TIn, TOut>(ReadOnlySpan<TIn> logits, ReadOnlySpan<VocabularyPartial> partials, Span<TOut> gradient,
        int classCount, int offset, int width, int stride, Reduction reduction, ReadOnlySpan<T> weight, double labelSmoothing, double zLoss, double softCap,
        int maxDegreeOfParallelism, ReadOnlySpan<VocabularyPartial> slicePartials = default, bool stored = false)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TIn : unmanaged
        where TOut : unmanaged
    {
        Guard.FloatOrDouble<T>();
        Reductions.Check(reduction);
        CheckOptions<T>(labelSmoothing, zLoss, softCap);
        RowDriver.CheckParallelism(maxDegreeOfParallelism);
        int rows = partials.Length;
        stride = CheckSlice(logits.Length, rows, classCount, offset, width, stride, nameof(logits));
        CheckSlice(gradient.Length, rows, classCount, offset, width, stride, nameof(gradient));
        Guard.InPlaceOrApartAcrossTypes<TIn, TOut>(logits, gradient, nameof(logits), nameof(gradient));
        CrossEntropy.CheckWeight(weight, classCount);
        var (divisor, counted) = CheckComplete(partials, classCount);
        if (stored)
        {
            CheckStoredLayout(logits, gradient, rows, classCount, offset, width, stride, softCap);
            CheckSlicePartials(slicePartials, partials, width);
        }
        // The gradient is the output: apart from the partials it reads.
        Guard.ApartAcrossTypes(partials, (ReadOnlySpan<TOut>)gradient, nameof(partials), nameof(gradient));
        Guard.ApartAcrossTypes(slicePartials, (ReadOnlySpan<TOut>)gradient, nameof(slicePartials), nameof(gradient));
        fixed (TIn* x = logits)
        fixed (TOut* g = gradient)
        fixed (T* w = weight)
        fixed (VocabularyPartial* p = partials)
        fixed (VocabularyPartial* sp = slicePartials)
        {
            var op = BackwardOp(x, g, weight.IsEmpty ? null : w, p, stored ? sp : null, classCount, offset, width, stride, reduction, labelSmoothing,
                zLoss, softCap, divisor, counted);
            if (!SliceRowsOp<T, TIn, TOut>.TryRun(in op, rows, null, maxDegreeOfParallelism))
            {
                RowDriver.Run<T, VocabularySliceOp<T, TIn, TOut>>(in op, rows, width, null, maxDegreeOfParallelism);
            }
        }
    }

    /// <summary>The op of a slice's backward given the combined partials <paramref name="p"/> (from the stored exps when <paramref name="sp"/>, the slice's own partials, is not null).</summary>
    internal static unsafe VocabularySliceOp<T, TIn, TOut> BackwardOp<T, TIn, TOut>(TIn* x, TOut* g, T* w, VocabularyPartial* p, VocabularyPartial* sp,
        int classCount, int offset, int width, int stride, Reduction reduction, double labelSmoothing, double zLoss, double softCap, double divisor, int counted)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TIn : unmanaged
        where TOut : unmanaged =>
        VocabularySliceOp<T, TIn, TOut>.Of(SliceMode.CrossEntropy, x, stride, width, offset, softCap) with
        {
            Weight = w,
            Partials = p,
            SlicePartials = sp,
            Gradient = g,
            Keep = 1 - labelSmoothing,
            Uniform = labelSmoothing / classCount,
            ZCoefficient = SliceLoss.ZCoefficient(zLoss, reduction, divisor, counted),
            GradientScale = Reductions.GradientScale(reduction, divisor),
        };

    /// <summary>
    /// The stored form's gradient: a slice laid out as the logits, and in place with them only without a soft-cap (the
    /// backward then never reads the logits, which the forward overwrote with the exps).
    /// </summary>
    internal static void CheckStoredLayout<TIn, T>(ReadOnlySpan<TIn> logits, ReadOnlySpan<T> gradient, int rows, int classCount, int offset, int width,
        int stride, double softCap)
        where TIn : unmanaged
        where T : unmanaged
    {
        CheckSlice(gradient.Length, rows, classCount, offset, width, stride, nameof(gradient));
        if (double.IsPositiveInfinity(softCap))
        {
            Guard.InPlaceOrApartAcrossTypes(logits, gradient, nameof(logits), nameof(gradient));
        }
        else
        {
            Guard.ApartAcrossTypes(logits, gradient, nameof(logits), nameof(gradient));
        }
    }

    /// <summary>
    /// The stored form's slice partials: one per row, of this slice's width, the rows' targets, written by a storing forward
    /// (marked), with a max no larger than the combined one. Ignored rows need only agree on the target.
    /// </summary>
    internal static void CheckSlicePartials(ReadOnlySpan<VocabularyPartial> slicePartials, ReadOnlySpan<VocabularyPartial> partials, int width)
    {
        Guard.SameLength(partials.Length, slicePartials.Length, nameof(slicePartials), nameof(partials));
        for (int row = 0; row < partials.Length; row++)
        {
            ref readonly VocabularyPartial own = ref slicePartials[row];
            ref readonly VocabularyPartial all = ref partials[row];
            string? problem = own.Target != all.Target || own.Ignored != all.Ignored
                ? $"has target {own.Target} but partials[{row}] has {all.Target}: they are partials of different rows or batches"
                : all.Ignored ? null
                : own.Columns != width ? $"covers {own.Columns} columns but the slice has {width}: it is another slice's partial"
                : !own.ExpsStored ? "was not written by a forward that stored its exps (pass the gradient to Forward, or call the plain Backward)"
                : own.Max > all.Max ? $"has max {own.Max}, above the combined max {all.Max}: it is not part of partials[{row}]"
                : null;
            if (problem != null)
            {
                throw new ArgumentException($"slicePartials[{row}] {problem}.", nameof(slicePartials));
            }
        }
    }

    /// <summary>ε in [0, 1], λ ≥ 0, c &gt; 0 (+∞ for none); NaN is rejected for each.</summary>
    /// <summary>
    /// Checks the cross-entropy options for element type <typeparamref name="T"/>: ε in [0, 1], λ ≥ 0 and finite in T (a λ
    /// that rounds to ∞ in T would make every counted row's loss and gradient ∞ or NaN), c &gt; 0 in T (+∞ for none; a c
    /// that rounds to 0 would give 0/0 at a zero logit).
    /// </summary>
    internal static void CheckOptions<T>(double labelSmoothing, double zLoss, double softCap)
        where T : IFloatingPointIeee754<T>
    {
        if (!(labelSmoothing >= 0 && labelSmoothing <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(labelSmoothing), labelSmoothing, "labelSmoothing must be in [0, 1].");
        }
        if (!(zLoss >= 0) || double.IsPositiveInfinity(zLoss))
        {
            throw new ArgumentOutOfRangeException(nameof(zLoss), zLoss, "zLoss (λ of λ·(log Z)²) must be finite and at least 0.");
        }
        if (!(softCap > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(softCap), softCap, "softCap (c of c·tanh(x/c)) must be positive; +∞ means no cap.");
        }
        if (!T.IsFinite(T.CreateTruncating(zLoss)))
        {
            throw new ArgumentOutOfRangeException(nameof(zLoss), zLoss, $"zLoss (λ of λ·(log Z)²) is ∞ in {typeof(T).Name}: it must be finite in the element type.");
        }
        if (!(T.CreateTruncating(softCap) > T.Zero))
        {
            throw new ArgumentOutOfRangeException(nameof(softCap), softCap, $"softCap (c of c·tanh(x/c)) is 0 in {typeof(T).Name}: it must be positive in the element type.");
        }
    }

    /// <summary>Checks a slice of a rows × C batch laid out with a stride; returns the stride (width for 0).</summary>
    internal static int CheckSlice(int length, int rows, int classCount, int offset, int width, int stride, string name)
    {
        if (classCount <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(classCount), classCount, "The class count must be positive.");
        }
        if (offset < 0 || offset >= classCount)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), offset, $"The slice's offset must be a column of the vocabulary, in [0, {classCount}).");
        }
        if (width <= 0 || width > classCount - offset)
        {
            throw new ArgumentOutOfRangeException(nameof(width), width, $"The slice [{offset}, {(long)offset + width}) must be non-empty and inside the vocabulary [0, {classCount}).");
        }
        stride = stride == 0 ? width : stride;
        if (stride < width)
        {
            throw new ArgumentOutOfRangeException(nameof(stride), stride, $"stride must be at least the slice's width {width} (or 0 for width).");
        }
        long needed = rows == 0 ? 0 : ((long)(rows - 1) * stride) + width;
        if (length < needed)
        {
            throw new ArgumentException($"{name} is too short: it has {length} elements and {rows} rows of a {width}-column slice {stride} apart need {needed}.", name);
        }
        return stride;
    }

    /// <summary>Checks every partial covers exactly the C columns; returns PyTorch's divisor D = Σ w_t and the counted rows N.</summary>
    internal static (double Divisor, int Counted) CheckComplete(ReadOnlySpan<VocabularyPartial> partials, int classCount,
        bool shiftedSum = false, bool moment = false)
    {
        if (classCount <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(classCount), classCount, "The class count must be positive.");
        }
        double divisor = 0;
        int counted = 0;
        for (int row = 0; row < partials.Length; row++)
        {
            ref readonly VocabularyPartial p = ref partials[row];
            if (p.Columns != classCount || !(p.Ignored || p.TargetFound))
            {
                throw new ArgumentException($"partials[{row}] covers {p.Columns} of the {classCount} columns{(p.Ignored || p.TargetFound || p.Columns != classCount ? "" : " but not its target")}: combine the partials of every slice exactly once first.", nameof(partials));
            }
            if (!p.Ignored)
            {
                if ((shiftedSum && p.WithoutShiftedSum) || (moment && p.WithoutMoment))
                {
                    throw new ArgumentException(shiftedSum && p.WithoutShiftedSum
                        ? $"partials[{row}] lacks the label-smoothing sum: pass labelSmoothing to the storing Forward as well."
                        : $"partials[{row}] lacks the entropy's moment: pass entropy: true to the storing Forward.", nameof(partials));
                }
                counted++;
                divisor += p.TargetWeight;
            }
        }
        return (divisor, counted);
    }
}
