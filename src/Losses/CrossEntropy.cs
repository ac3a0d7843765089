using System.Numerics;
using Losses.Kernels;

namespace Losses;

/// <summary>
/// Cross-entropy from logits over a row-major [rows × classCount] batch, as PyTorch's <c>F.cross_entropy</c>, with its
/// gradient with respect to the logits written in the same call. Per row i with target tᵢ, smoothing ε and class weights w:
/// ℓᵢ = (1 − ε)·w[tᵢ]·(−log softmax(xᵢ)[tᵢ]) + (ε/C)·Σ_c w_c·(−log softmax(xᵢ)_c).
/// </summary>
/// <remarks>
/// <para>Reductions (PyTorch's divisor rules): <see cref="Reduction.Sum"/> is Σᵢ ℓᵢ; <see cref="Reduction.Mean"/> divides by
/// D = Σᵢ w[tᵢ] over rows whose target is not the ignore index (D = the number of such rows without weights), for both
/// terms; with soft targets Mean divides by the number of rows. <see cref="Reduction.None"/> writes ℓᵢ to <c>losses</c>
/// and returns their sum. <see cref="Reduction.BatchMean"/> is not defined for cross-entropy (as in PyTorch) and throws.</para>
/// <para>Gradient: ∂ℓᵢ/∂x_j = s·softmax(xᵢ)_j − a·[j = tᵢ] − b·w_j with a = (1 − ε)·w[tᵢ]·r, b = (ε/C)·r, s = a + b·Σw, and
/// r = 1/D for Mean, 1 otherwise; each row is written in a second pass over its logits. Ignored rows get a zero gradient.</para>
/// <para>Edge cases (as PyTorch 1.13): a batch whose rows are all ignored (or whose target weights sum to 0) has Mean = 0/0 = NaN;
/// its gradient is 0 for ignored rows and NaN for the others (0·∞). A −∞ logit is a masked class (probability 0, gradient
/// −b·w_j); a −∞ logit at the target, or any −∞ logit with label smoothing, gives a loss of +∞. Logits of ±1e4 are exact
/// (the maximum is subtracted). NaN anywhere in a row makes that row's loss and gradient NaN, and so the reduced loss.</para>
/// <para>Accuracy: each row loss is computed as (max − x_t) + log Σ exp(x − max), which never cancels, within a few ulp of the
/// exact value when it is about 1 or more. The sum Σ exp(x − max) = 1 + δ is rounded to the element type before its log,
/// so a smaller loss has an absolute error of up to about an ulp of 1 (1.2e-7 in float, 2.2e-16 in double), as PyTorch's:
/// a confident right prediction's loss log(1 + δ) is only a few significant digits (float [13, 0] with target 0 gives
/// 2.264974e-6 for 2.260327e-6), and 0 for δ below 6e-8 in float (x_t ahead of every other logit by about 17 or more).
/// Its gradient at the target, p_t − 1, has the same absolute error. Reductions sum the row losses in double with
/// compensation.</para>
/// <para>Cost: rows of more than 128 classes take one pass over the logits for the loss (online max and sum of exp, one exp
/// per element); with a gradient (not in place, no smoothing) that pass also stores the exps into the gradient and a second
/// pass only rescales them; label smoothing adds a pass. Rows of up to 128 classes are processed 16 (float) or 8 (double)
/// at a time, one row per vector lane, after an in-register transpose, so that short rows pay no per-row overhead.
/// No allocation.</para>
/// <para>Multi-core: <c>maxDegreeOfParallelism</c> &gt; 1 (or −1 for all cores) splits the rows into fixed chunks of about
/// 32 K elements; the result is bitwise identical for any thread count. That path allocates a closure, the task machinery
/// of <see cref="Parallel"/> and 16 bytes per chunk; with one thread nothing is allocated.</para>
/// </remarks>
/// <seealso cref="NllLoss"/>
/// <seealso cref="LogSoftmax"/>
/// <seealso cref="BinaryCrossEntropy"/>
public static partial class CrossEntropy
{
    /// <summary>Cross-entropy of logits against integer class targets; optionally writes the gradient and per-row losses.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="logits">rows × classCount logits, row-major.</param>
    /// <param name="targets">One class index in [0, classCount) per row, or <paramref name="ignoreIndex"/>.</param>
    /// <param name="classCount">C, the row length, positive.</param>
    /// <param name="gradient">Empty, or rows × classCount: receives ∂loss/∂logits for the chosen reduction (for None, the gradient of each row's own loss). May be <paramref name="logits"/> itself.</param>
    /// <param name="reduction">None, Mean (default) or Sum.</param>
    /// <param name="losses">With <see cref="Reduction.None"/>: at least rows long, receives ℓᵢ. Otherwise ignored (may be empty).</param>
    /// <param name="weight">Empty, or classCount class weights (PyTorch's <c>weight</c>). Their values are not checked, as in
    /// PyTorch (unlike the sample weights of the README's numerical contract): a negative weight is used as given; a NaN weight
    /// changes nothing unless it is a counted row's target weight (that row NaN, and with Mean the divisor, so every result)
    /// or label smoothing is on (every row NaN).</param>
    /// <param name="ignoreIndex">Rows with this target count for nothing and are excluded from the mean's divisor (default −100).</param>
    /// <param name="labelSmoothing">ε in [0, 1]: the target distribution is (1 − ε)·onehot + ε/C.</param>
    /// <param name="maxDegreeOfParallelism">1 (default) for one thread, n for up to n threads, −1 for all cores.</param>
    /// <param name="zLoss">λ ≥ 0 of the z-loss λ·(log Z)² added to each counted row (PaLM: 1e-4; Liger-Kernel's
    /// <c>lse_square_scale</c>); not weighted; with Mean its sum is divided by the number N of counted rows, so the result is
    /// Σ ℓᵢ/D + λ·Σ (log Zᵢ)²/N. 0 (default) for none. Its gradient adds 2λ·log Z·softmax(x) (÷ N for Mean).</param>
    /// <param name="softCap">c &gt; 0 of Gemma 2's logit soft-cap: the loss is computed on c·tanh(x/c), and the gradient
    /// multiplied by 1 − tanh²(x/c). A −∞ logit stays −∞ (the class stays masked; PyTorch's <c>c * tanh(x / c)</c> would give −c
    /// and unmask it). +∞ (default) for none. With a cap, rows take the vocabulary-slice row op (no rows-in-lanes block path).</param>
    /// <returns>The reduced loss (for None, the sum of the per-row losses).</returns>
    /// <exception cref="ArgumentOutOfRangeException">A target is outside [0, classCount) and not the ignore index (the message gives its row and value);
    /// classCount, labelSmoothing, zLoss (&lt; 0, NaN or ∞), softCap (≤ 0 or NaN), reduction or maxDegreeOfParallelism is out of range.</exception>
    /// <exception cref="ArgumentException">Lengths disagree, a destination is too short, or a destination overlaps an input (the
    /// targets included) or another destination other than the gradient exactly on the logits; nothing is written.</exception>
    /// <example>
    /// <code>
    /// float[] logits = [2f, 0f, -1f, 0.5f, 0.5f, 3f];
    /// var grad = new float[logits.Length];
    /// float loss = CrossEntropy.Forward&lt;float&gt;(logits, [0, 2], classCount: 3, gradient: grad); // mean over 2 rows
    /// </code>
    /// </example>
    public static unsafe T Forward<T>(ReadOnlySpan<T> logits, ReadOnlySpan<int> targets, int classCount, Span<T> gradient = default,
        Reduction reduction = Reduction.Mean, Span<T> losses = default, ReadOnlySpan<T> weight = default, int ignoreIndex = -100,
        double labelSmoothing = 0, double zLoss = 0, double softCap = double.PositiveInfinity, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int rows = CheckClassTargets(logits, targets.Length, classCount, gradient, reduction, losses, weight, maxDegreeOfParallelism, nameof(logits));
        CheckTargetsApart(new TargetSpan(targets), gradient, reduction, losses, rows);
        CheckSmoothing(labelSmoothing);
        CrossEntropySlices.CheckOptions<T>(double.CreateTruncating(labelSmoothing), zLoss, softCap);
        if (double.IsFinite(softCap))
        {
            return BySlices<T, T, T>(logits, new TargetSpan(targets), classCount, gradient, reduction, losses, weight, ignoreIndex,
                double.CreateTruncating(labelSmoothing), zLoss, softCap, maxDegreeOfParallelism);
        }

        // One pass over the targets validates them and gives the Mean divisor D = Σ w[t] over non-ignored rows.
        var (divisor, counted) = Count(new TargetSpan(targets), classCount, weight, ignoreIndex);

        fixed (T* x = logits)
        fixed (int* tg = targets)
        fixed (T* w = weight)
        fixed (T* g = gradient)
        {
            var op = new CrossEntropyOp<T>
            {
                Logits = x,
                Targets = tg,
                Weight = weight.IsEmpty ? null : w,
                Gradient = gradient.IsEmpty ? null : g,
                ClassCount = classCount,
                IgnoreIndex = ignoreIndex,
                LabelSmoothing = T.CreateTruncating(labelSmoothing),
                WeightSum = weight.IsEmpty ? T.CreateTruncating(classCount) : T.CreateTruncating(Sum(weight)),
                GradientScale = T.CreateTruncating(Reductions.GradientScale(reduction, divisor)),
                ZCoefficient = T.CreateTruncating(SliceLoss.ZCoefficient(zLoss, reduction, divisor, counted)),
            };
            return Batch.Reduce<T, CrossEntropyOp<T>>(in op, rows, classCount, losses, reduction, divisor, maxDegreeOfParallelism);
        }
    }

    /// <summary>Cross-entropy of logits against soft targets (a probability distribution per row), as PyTorch's
    /// <c>F.cross_entropy</c> with probability targets: ℓᵢ = −Σ_c w_c·y'_c·log softmax(xᵢ)_c with y' = (1 − ε)·y + ε/C.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="logits">rows × classCount logits, row-major.</param>
    /// <param name="probabilities">rows × classCount target probabilities (not checked to sum to 1, as in PyTorch; a one-hot row equals the integer target).</param>
    /// <param name="classCount">C, positive.</param>
    /// <param name="gradient">Empty, or rows × classCount: receives ∂loss/∂logits = r·(softmax(x)·Σ_c w_c·y'_c − w·y'). May be <paramref name="logits"/> itself.</param>
    /// <param name="reduction">None, Mean (default; divides by the number of rows) or Sum.</param>
    /// <param name="losses">With <see cref="Reduction.None"/>: at least rows long.</param>
    /// <param name="weight">Empty, or classCount class weights.</param>
    /// <param name="labelSmoothing">ε in [0, 1].</param>
    /// <param name="maxDegreeOfParallelism">1 (default), n threads, or −1 for all cores.</param>
    /// <returns>The reduced loss (for None, the sum of the per-row losses).</returns>
    /// <remarks>A zero target probability at a −∞ logit gives 0·∞ = NaN, as in PyTorch.</remarks>
    /// <exception cref="ArgumentException">Lengths disagree or a destination is too short.</exception>
    /// <exception cref="ArgumentOutOfRangeException">classCount, labelSmoothing, reduction or maxDegreeOfParallelism is out of range.</exception>
    /// <example>
    /// <code>
    /// float loss = CrossEntropy.ForwardWithProbabilities&lt;float&gt;([2f, 0f, -1f], [0.7f, 0.2f, 0.1f], classCount: 3);
    /// </code>
    /// </example>
    public static unsafe T ForwardWithProbabilities<T>(ReadOnlySpan<T> logits, ReadOnlySpan<T> probabilities, int classCount, Span<T> gradient = default,
        Reduction reduction = Reduction.Mean, Span<T> losses = default, ReadOnlySpan<T> weight = default,
        double labelSmoothing = 0, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Guard.FloatOrDouble<T>();
        int rows = Guard.Rows(logits.Length, classCount, nameof(logits));
        Guard.SameLength(logits.Length, probabilities.Length, nameof(probabilities), nameof(logits));
        CheckCommon(logits, nameof(logits), gradient, reduction, losses, weight, rows, maxDegreeOfParallelism);
        if (!gradient.IsEmpty)
        {
            Guard.InPlaceOrApart<T>(probabilities, gradient[..logits.Length], nameof(probabilities), nameof(gradient));
        }
        if (reduction == Reduction.None)
        {
            Guard.Apart<T>(probabilities, losses[..rows], nameof(probabilities), nameof(losses));
        }
        CheckWeight(weight, classCount);
        CheckSmoothing(labelSmoothing);

        fixed (T* x = logits)
        fixed (T* y = probabilities)
        fixed (T* w = weight)
        fixed (T* g = gradient)
        {
            var op = new SoftCrossEntropyOp<T>
            {
                Logits = x,
                Probabilities = y,
                Weight = weight.IsEmpty ? null : w,
                Gradient = gradient.IsEmpty ? null : g,
                ClassCount = classCount,
                LabelSmoothing = T.CreateTruncating(labelSmoothing),
                GradientScale = T.CreateTruncating(Reductions.GradientScale(reduction, rows)),
            };
            return Batch.Reduce<T, SoftCrossEntropyOp<T>>(in op, rows, classCount, losses, reduction, rows, maxDegreeOfParallelism);
        }
    }

    /// <summary>Validates the targets and returns PyTorch's Mean divisor: Σ w[t] (or the count) over non-ignored rows.</summary>
    internal static double Divisor<T>(ReadOnlySpan<int> targets, int classCount, ReadOnlySpan<T> weight, int ignoreIndex)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Count(new TargetSpan(targets), classCount, weight, ignoreIndex).Divisor;

    /// <summary>Validates the targets; returns PyTorch's Mean divisor D = Σ w[t] (or the count) and the count N of non-ignored rows.</summary>
    internal static (double Divisor, int Counted) Count<T>(TargetSpan targets, int classCount, ReadOnlySpan<T> weight, long ignoreIndex)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (weight.IsEmpty)
        {
            int valid = targets.CheckAndCount(classCount, ignoreIndex, nameof(targets));
            return (valid, valid);
        }
        targets.Check(classCount, ignoreIndex, nameof(targets));
        int counted = 0;
        double weightSum = 0;
        for (int row = 0; row < targets.Length; row++)
        {
            long t = targets[row];
            if (t == ignoreIndex)
            {
                continue;
            }
            counted++;
            if (!weight.IsEmpty)
            {
                weightSum += double.CreateTruncating(weight[(int)t]);
            }
        }
        return (weight.IsEmpty ? counted : weightSum, counted);
    }

    /// <summary>
    /// Cross-entropy of int64 targets (PyTorch's and TorchSharp's class-index type); otherwise as
    /// <see cref="Forward{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, int, Span{T}, Reduction, Span{T}, ReadOnlySpan{T}, int, double, double, double, int)"/>.
    /// </summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="logits">rows × classCount logits, row-major.</param>
    /// <param name="targets">One class index in [0, classCount) per row, or <paramref name="ignoreIndex"/>.</param>
    /// <param name="classCount">C, positive.</param>
    /// <param name="gradient">Empty, or rows × classCount (may be the logits).</param>
    /// <param name="reduction">None, Mean (default) or Sum.</param>
    /// <param name="losses">With None: at least rows long.</param>
    /// <param name="weight">Empty, or classCount class weights.</param>
    /// <param name="ignoreIndex">Default −100.</param>
    /// <param name="labelSmoothing">ε in [0, 1].</param>
    /// <param name="zLoss">λ ≥ 0 of the z-loss.</param>
    /// <param name="softCap">c &gt; 0 of the soft-cap; +∞ for none.</param>
    /// <param name="maxDegreeOfParallelism">1 (default), n threads, or −1 for all cores.</param>
    /// <returns>The reduced loss (for None, the sum).</returns>
    /// <exception cref="ArgumentOutOfRangeException">A target or an option is out of range.</exception>
    /// <exception cref="ArgumentException">Lengths disagree, a destination is too short, or a destination overlaps an input (the
    /// targets included) or another destination other than the gradient exactly on the logits; nothing is written.</exception>
    /// <remarks>Runs on the vocabulary-slice row op (one slice of the whole row): no rows-in-lanes block path for short rows.
    /// The loss equals the int32-target overload's within a few ulp, not always to the bit: without a gradient, the int32
    /// overload sums its exponentials with the normalizer's cheaper term exp (see the README's numerical contract).</remarks>
    public static T Forward<T>(ReadOnlySpan<T> logits, ReadOnlySpan<long> targets, int classCount, Span<T> gradient = default,
        Reduction reduction = Reduction.Mean, Span<T> losses = default, ReadOnlySpan<T> weight = default, long ignoreIndex = -100,
        double labelSmoothing = 0, double zLoss = 0, double softCap = double.PositiveInfinity, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int rows = CheckClassTargets(logits, targets.Length, classCount, gradient, reduction, losses, weight, maxDegreeOfParallelism, nameof(logits));
        CheckTargetsApart(new TargetSpan(targets), gradient, reduction, losses, rows);
        CrossEntropySlices.CheckOptions<T>(labelSmoothing, zLoss, softCap);
        return BySlices<T, T, T>(logits, new TargetSpan(targets), classCount, gradient, reduction, losses, weight, ignoreIndex, labelSmoothing, zLoss, softCap, maxDegreeOfParallelism);
    }

    /// <summary>Cross-entropy of Half logits (read as float in the row op's loads; all arithmetic in float), gradient written
    /// as float — never in place: a gradient overlapping the 16-bit logits throws.</summary>
    /// <inheritdoc cref="Forward{T}(ReadOnlySpan{T}, ReadOnlySpan{long}, int, Span{T}, Reduction, Span{T}, ReadOnlySpan{T}, long, double, double, double, int)"/>
    public static float Forward(ReadOnlySpan<Half> logits, ReadOnlySpan<long> targets, int classCount, Span<float> gradient = default,
        Reduction reduction = Reduction.Mean, Span<float> losses = default, ReadOnlySpan<float> weight = default, long ignoreIndex = -100,
        double labelSmoothing = 0, double zLoss = 0, double softCap = double.PositiveInfinity, int maxDegreeOfParallelism = 1) =>
        SixteenBit(logits, targets, classCount, gradient, reduction, losses, weight, ignoreIndex, labelSmoothing, zLoss, softCap, maxDegreeOfParallelism);

    /// <summary>Cross-entropy of bfloat16 logits (read as float in the row op's loads; all arithmetic in float), gradient written
    /// as float — never in place: a gradient overlapping the 16-bit logits throws.</summary>
    /// <inheritdoc cref="Forward{T}(ReadOnlySpan{T}, ReadOnlySpan{long}, int, Span{T}, Reduction, Span{T}, ReadOnlySpan{T}, long, double, double, double, int)"/>
    public static float Forward(ReadOnlySpan<BFloat16> logits, ReadOnlySpan<long> targets, int classCount, Span<float> gradient = default,
        Reduction reduction = Reduction.Mean, Span<float> losses = default, ReadOnlySpan<float> weight = default, long ignoreIndex = -100,
        double labelSmoothing = 0, double zLoss = 0, double softCap = double.PositiveInfinity, int maxDegreeOfParallelism = 1) =>
        SixteenBit(logits, targets, classCount, gradient, reduction, losses, weight, ignoreIndex, labelSmoothing, zLoss, softCap, maxDegreeOfParallelism);

    private static float SixteenBit<TIn>(ReadOnlySpan<TIn> logits, ReadOnlySpan<long> targets, int classCount, Span<float> gradient,
        Reduction reduction, Span<float> losses, ReadOnlySpan<float> weight, long ignoreIndex, double labelSmoothing, double zLoss, double softCap,
        int maxDegreeOfParallelism)
        where TIn : unmanaged
    {
        int rows = Guard.Rows(logits.Length, classCount, nameof(logits));
        Guard.OnePerRow(rows, targets.Length, nameof(targets), nameof(logits));
        Reductions.Check(reduction);
        RowDriver.CheckParallelism(maxDegreeOfParallelism);
        if (!gradient.IsEmpty)
        {
            Guard.DestinationLength(logits.Length, gradient.Length, nameof(gradient));
            gradient = gradient[..logits.Length];
            Guard.InPlaceOrApartAcrossTypes<TIn, float>(logits, gradient, nameof(logits), nameof(gradient));
            Guard.Apart<float>(weight, gradient, nameof(weight), nameof(gradient));
        }
        if (reduction == Reduction.None)
        {
            Guard.DestinationLength(rows, losses.Length, nameof(losses));
            losses = losses[..rows];
            Guard.ApartAcrossTypes<TIn, float>(logits, losses, nameof(logits), nameof(losses));
            Guard.Apart<float>(gradient, losses, nameof(gradient), nameof(losses));
            Guard.Apart<float>(weight, losses, nameof(weight), nameof(losses));
        }
        CheckWeight(weight, classCount);
        CheckTargetsApart(new TargetSpan(targets), gradient, reduction, losses, rows);
        CrossEntropySlices.CheckOptions<float>(labelSmoothing, zLoss, softCap);
        return BySlices<float, TIn, float>(logits, new TargetSpan(targets), classCount, gradient, reduction, losses, weight, ignoreIndex, labelSmoothing, zLoss, softCap, maxDegreeOfParallelism);
    }

    /// <summary>The whole row as one vocabulary slice: the partial is computed and consumed in the same row op.</summary>
    private static unsafe T BySlices<T, TIn, TOut>(ReadOnlySpan<TIn> logits, TargetSpan targets, int classCount, Span<TOut> gradient,
        Reduction reduction, Span<T> losses, ReadOnlySpan<T> weight, long ignoreIndex, double labelSmoothing, double zLoss, double softCap,
        int maxDegreeOfParallelism)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TIn : unmanaged
        where TOut : unmanaged
    {
        var (divisor, counted) = Count(targets, classCount, weight, ignoreIndex);
        fixed (TIn* x = logits)
        fixed (int* t32 = targets.Int32)
        fixed (long* t64 = targets.Int64)
        fixed (T* w = weight)
        fixed (TOut* g = gradient)
        {
            var op = VocabularySliceOp<T, TIn, TOut>.Of(SliceMode.CrossEntropy, x, classCount, classCount, 0, softCap) with
            {
                Targets32 = targets.IsInt64 ? null : t32,
                Targets64 = targets.IsInt64 ? t64 : null,
                IgnoreIndex = ignoreIndex,
                Weight = weight.IsEmpty ? null : w,
                SliceWeightSum = weight.IsEmpty ? classCount : Sum(weight),
                Gradient = gradient.IsEmpty ? null : g,
                Keep = 1 - labelSmoothing,
                Uniform = labelSmoothing / classCount,
                ZCoefficient = SliceLoss.ZCoefficient(zLoss, reduction, divisor, counted),
                GradientScale = Reductions.GradientScale(reduction, divisor),
            };
            return Batch.Reduce<T, VocabularySliceOp<T, TIn, TOut>>(in op, targets.Length, classCount, losses, reduction, divisor, maxDegreeOfParallelism);
        }
    }

    /// <summary>
    /// The checks every row loss with integer or soft targets shares: the reduction, the multi-core option, and the
    /// overlap rule — the gradient may be the input exactly (in place); losses and weight must be apart from the outputs.
    /// </summary>
    /// <summary>
    /// Checks a batch of rows with one class-index target per row (cross-entropy, NLL): <typeparamref name="T"/>, the rows
    /// of <paramref name="input"/>, one target per row, the outputs and their overlaps (<see cref="CheckCommon{T}"/>) and the
    /// class weights. Returns the row count; the targets' values are checked by the caller.
    /// </summary>
    internal static int CheckClassTargets<T>(ReadOnlySpan<T> input, int targetCount, int classCount, Span<T> gradient, Reduction reduction,
        Span<T> losses, ReadOnlySpan<T> weight, int maxDegreeOfParallelism, string inputName)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Guard.FloatOrDouble<T>();
        int rows = Guard.Rows(input.Length, classCount, inputName);
        Guard.OnePerRow(rows, targetCount, "targets", inputName);
        CheckCommon(input, inputName, gradient, reduction, losses, weight, rows, maxDegreeOfParallelism);
        CheckWeight(weight, classCount);
        return rows;
    }

    internal static void CheckCommon<T>(ReadOnlySpan<T> input, string inputName, Span<T> gradient, Reduction reduction, Span<T> losses, ReadOnlySpan<T> weight,
        int rows, int maxDegreeOfParallelism)
    {
        if (reduction is not (Reduction.None or Reduction.Mean or Reduction.Sum))
        {
            throw new ArgumentOutOfRangeException(nameof(reduction), reduction, "Supported reductions: None, Mean and Sum.");
        }
        RowDriver.CheckParallelism(maxDegreeOfParallelism);
        if (!gradient.IsEmpty)
        {
            Guard.DestinationLength(input.Length, gradient.Length, nameof(gradient));
            gradient = gradient[..input.Length];
            Guard.InPlaceOrApart<T>(input, gradient, inputName, nameof(gradient));
            Guard.Apart<T>(weight, gradient, nameof(weight), nameof(gradient));
        }
        if (reduction == Reduction.None)
        {
            Guard.DestinationLength(rows, losses.Length, nameof(losses));
            losses = losses[..rows];
            Guard.Apart<T>(input, losses, inputName, nameof(losses));
            Guard.Apart<T>(gradient, losses, nameof(gradient), nameof(losses));
            Guard.Apart<T>(weight, losses, nameof(weight), nameof(losses));
        }
    }

    /// <summary>The targets are apart from the outputs (gradient, and losses with None): checked against reinterpreted buffers.</summary>
    internal static void CheckTargetsApart<T>(TargetSpan targets, Span<T> gradient, Reduction reduction, Span<T> losses, int rows)
        where T : unmanaged
    {
        targets.CheckApart<T>(gradient, nameof(gradient));
        if (reduction == Reduction.None)
        {
            targets.CheckApart<T>(losses[..rows], nameof(losses));
        }
    }

    internal static void CheckWeight<T>(ReadOnlySpan<T> weight, int classCount)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!weight.IsEmpty && weight.Length != classCount)
        {
            throw new ArgumentException($"weight has {weight.Length} elements; it must be empty or have one per class ({classCount}).", nameof(weight));
        }
    }

    internal static void CheckSmoothing(double labelSmoothing)
    {
        if (!(labelSmoothing >= 0 && labelSmoothing <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(labelSmoothing), labelSmoothing, "labelSmoothing must be in [0, 1].");
        }
    }

    internal static double Sum<T>(ReadOnlySpan<T> values)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double sum = 0;
        foreach (T v in values)
        {
            sum += double.CreateTruncating(v);
        }
        return sum;
    }
}
