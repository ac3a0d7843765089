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
/// exact value; reductions sum the row losses in double with compensation.</para>
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
    /// <param name="weight">Empty, or classCount class weights (PyTorch's <c>weight</c>).</param>
    /// <param name="ignoreIndex">Rows with this target count for nothing and are excluded from the mean's divisor (default −100).</param>
    /// <param name="labelSmoothing">ε in [0, 1]: the target distribution is (1 − ε)·onehot + ε/C.</param>
    /// <param name="maxDegreeOfParallelism">1 (default) for one thread, n for up to n threads, −1 for all cores.</param>
    /// <returns>The reduced loss (for None, the sum of the per-row losses).</returns>
    /// <exception cref="ArgumentOutOfRangeException">A target is outside [0, classCount) and not the ignore index (the message gives its row and value);
    /// classCount, labelSmoothing, reduction or maxDegreeOfParallelism is out of range.</exception>
    /// <exception cref="ArgumentException">Lengths disagree or a destination is too short; nothing is written.</exception>
    /// <example>
    /// <code>
    /// float[] logits = [2f, 0f, -1f, 0.5f, 0.5f, 3f];
    /// var grad = new float[logits.Length];
    /// float loss = CrossEntropy.Forward&lt;float&gt;(logits, [0, 2], classCount: 3, gradient: grad); // mean over 2 rows
    /// </code>
    /// </example>
    public static unsafe T Forward<T>(ReadOnlySpan<T> logits, ReadOnlySpan<int> targets, int classCount, Span<T> gradient = default,
        Reduction reduction = Reduction.Mean, Span<T> losses = default, ReadOnlySpan<T> weight = default, int ignoreIndex = -100,
        double labelSmoothing = 0, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Guard.FloatOrDouble<T>();
        int rows = Guard.Rows(logits.Length, classCount, nameof(logits));
        Guard.SameLength(rows, targets.Length, nameof(targets), "the number of rows of logits");
        CheckCommon(logits, nameof(logits), gradient, reduction, losses, weight, rows, maxDegreeOfParallelism);
        CheckWeight(weight, classCount);
        CheckSmoothing(labelSmoothing);

        // One pass over the targets validates them and gives the Mean divisor D = Σ w[t] over non-ignored rows.
        double divisor = Divisor(targets, classCount, weight, ignoreIndex);

        fixed (T* x = logits)
        fixed (int* tg = targets)
        fixed (T* w = weight)
        fixed (T* g = gradient)
        fixed (T* l = losses)
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
            };
            double total = RowDriver.Run<T, CrossEntropyOp<T>>(in op, rows, classCount, reduction == Reduction.None ? l : null, maxDegreeOfParallelism);
            return T.CreateTruncating(Reductions.Apply(total, reduction, divisor));
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
        fixed (T* l = losses)
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
            double total = RowDriver.Run<T, SoftCrossEntropyOp<T>>(in op, rows, classCount, reduction == Reduction.None ? l : null, maxDegreeOfParallelism);
            return T.CreateTruncating(Reductions.Apply(total, reduction, rows));
        }
    }

    /// <summary>Validates the targets and returns PyTorch's Mean divisor: Σ w[t] (or the count) over non-ignored rows.</summary>
    internal static double Divisor<T>(ReadOnlySpan<int> targets, int classCount, ReadOnlySpan<T> weight, int ignoreIndex)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int counted = 0;
        double weightSum = 0;
        for (int row = 0; row < targets.Length; row++)
        {
            int t = targets[row];
            if ((uint)t >= (uint)classCount)
            {
                if (t == ignoreIndex)
                {
                    continue;
                }
                throw new ArgumentOutOfRangeException(nameof(targets), t, $"targets[{row}] = {t} is not a class index in [0, {classCount}) nor the ignore index {ignoreIndex}.");
            }
            if (t == ignoreIndex)
            {
                continue;
            }
            counted++;
            if (!weight.IsEmpty)
            {
                weightSum += double.CreateTruncating(weight[t]);
            }
        }
        return weight.IsEmpty ? counted : weightSum;
    }

    /// <summary>
    /// The checks every row loss with integer or soft targets shares: the reduction, the multi-core option, and the
    /// overlap rule — the gradient may be the input exactly (in place); losses and weight must be apart from the outputs.
    /// </summary>
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

    internal static void CheckWeight<T>(ReadOnlySpan<T> weight, int classCount)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!weight.IsEmpty && weight.Length != classCount)
        {
            throw new ArgumentException($"weight has {weight.Length} elements; it must be empty or have one per class ({classCount}).", nameof(weight));
        }
    }

    private static void CheckSmoothing(double labelSmoothing)
    {
        if (!(labelSmoothing >= 0 && labelSmoothing <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(labelSmoothing), labelSmoothing, "labelSmoothing must be in [0, 1].");
        }
    }

    private static double Sum<T>(ReadOnlySpan<T> values)
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
