using System.Numerics;
using Losses.Kernels;

namespace Losses;

/// <summary>
/// The Kullback–Leibler divergence D(P ‖ Q) = Σᵢ pᵢ log(pᵢ / qᵢ): how many extra nats (or bits) it costs to code samples
/// of P with a code built for Q. From probabilities, from counts, from log-probabilities (PyTorch's <c>kl_div</c>
/// terms, with <c>logTarget</c>), and from two rows of logits with a temperature (knowledge distillation), with the
/// gradient with respect to the student logits in the same call.
/// </summary>
/// <remarks>
/// <para><b>Argument order</b>: P, the reference ("true", teacher) distribution, always comes first, as in the notation
/// D(P ‖ Q); Q, the approximating (model, student) distribution, second. Parameters are named <c>p</c>/<c>q</c> or
/// <c>teacherLogits</c>/<c>studentLogits</c>. PyTorch's <c>kl_div(input, target)</c> takes them the other way round
/// (input = log Q, target = P): <c>F.kl_div(logQ, p)</c> is <c>KLDivergence.FromLogProbabilities(p, logQ)</c> here.
/// SciPy's <c>entropy(pk, qk)</c> and <c>rel_entr(p, q)</c> take P first, as here.</para>
/// <para><b>Conventions</b>: 0 · log(0/q) = 0 for any q (including q = 0 and log q = −∞, where PyTorch returns NaN);
/// p &gt; 0 with q = 0 gives +∞. Probabilities must be finite and non-negative, log-probabilities not NaN or +∞;
/// otherwise an <see cref="ArgumentException"/> names the argument, index and value before anything is written.
/// <see cref="Of{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, double)"/> uses its inputs as is (Σ rel_entr(p, q), as SciPy's
/// <c>rel_entr(p, q).sum()</c>), <see cref="FromCounts{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, double)"/> normalises both
/// rows first (as <c>scipy.stats.entropy(pk, qk)</c>). Logits are not checked: NaN or +∞ give NaN, −∞ masks a class.</para>
/// <para><b>Accuracy</b>: logs and exps within 1–2 ulp, drift-free sums, lanes combined in double. From logits the
/// divergence is formed from logits relative to their row maxima, so logits of ±1e4 lose nothing. As for any formula
/// with terms of both signs, the relative error grows when P and Q nearly coincide (the absolute error stays a few ulp
/// of Σ|pᵢ log(pᵢ/qᵢ)|).</para>
/// </remarks>
/// <seealso cref="Entropy"/>
/// <seealso cref="JensenShannon"/>
/// <seealso cref="Softmax"/>
public static partial class KLDivergence
{
    /// <inheritdoc cref="Of{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, double)"/>
    public static T Of<T>(ReadOnlySpan<T> p, ReadOnlySpan<T> q)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Of(p, q, Math.E);

    /// <summary>D(P ‖ Q) = Σᵢ pᵢ log(pᵢ / qᵢ) of one row pair of probabilities, used as is.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="p">P, the reference distribution: finite, ≥ 0.</param>
    /// <param name="q">Q, the approximating distribution: same length, finite, ≥ 0.</param>
    /// <param name="logBase">The logarithm base: <see cref="Math.E"/> (nats), 2 (bits), 10, …</param>
    /// <returns>D(P ‖ Q) ≥ 0 when both sum to 1; +∞ if some pᵢ &gt; 0 has qᵢ = 0; 0 for empty rows.</returns>
    /// <exception cref="ArgumentException">Lengths differ, or an element is negative, infinite or NaN.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="logBase"/> is invalid.</exception>
    /// <example><code>double d = KLDivergence.Of([0.5, 0.5], [0.9, 0.1]); // 0.5108 nats</code></example>
    public static T Of<T>(ReadOnlySpan<T> p, ReadOnlySpan<T> q, double logBase)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Batch.OneRow<T, double>(p, q, logBase, Of);

    /// <summary>D(P ‖ Q) of each row pair of two row-major [rows × <paramref name="classCount"/>] batches of probabilities.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="p">rows × classCount reference probabilities.</param>
    /// <param name="q">rows × classCount approximating probabilities.</param>
    /// <param name="destination">At least rows long: one divergence per row.</param>
    /// <param name="classCount">The row length, positive.</param>
    /// <param name="logBase">The logarithm base.</param>
    /// <param name="maxDegreeOfParallelism">1 (default) for one thread, n for up to n threads, −1 for all cores; the result is bitwise the same for any value.</param>
    /// <exception cref="ArgumentException">A bad element, shape or destination.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classCount"/> or <paramref name="logBase"/> is invalid.</exception>
    /// <example>
    /// <code>
    /// double[] p = [0.5, 0.5, 1, 0];
    /// double[] q = [0.9, 0.1, 0.5, 0.5];
    /// var perRow = new double[2];
    /// KLDivergence.Of(p, q, perRow, classCount: 2); // [0.5108, ln 2]
    /// </code>
    /// </example>
    public static unsafe void Of<T>(ReadOnlySpan<T> p, ReadOnlySpan<T> q, Span<T> destination, int classCount, double logBase = Math.E, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T scale = Batch.PerRowInBase(p, q, destination, classCount, logBase, maxDegreeOfParallelism, nameof(p), nameof(q), DistributionInputs.Both);
        Batch.Run(new RelativeEntropyOp<T> { Scale = scale }, p, q, default, destination, classCount, maxDegreeOfParallelism);
    }

    /// <inheritdoc cref="FromCounts{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, double)"/>
    public static T FromCounts<T>(ReadOnlySpan<T> p, ReadOnlySpan<T> q)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        FromCounts(p, q, Math.E);

    /// <summary>D(P ‖ Q) with P = p/Σp and Q = q/Σq: one row pair of unnormalised counts or weights (as <c>scipy.stats.entropy(pk, qk)</c>).</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="p">Counts of the reference distribution, finite, ≥ 0.</param>
    /// <param name="q">Counts of the approximating distribution, same length, finite, ≥ 0.</param>
    /// <param name="logBase">The logarithm base.</param>
    /// <returns>The divergence of the normalised rows; NaN if either row is all zero (as SciPy); 0 for empty rows.</returns>
    /// <exception cref="ArgumentException">Lengths differ, or an element is bad.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="logBase"/> is invalid.</exception>
    /// <remarks>Each row is normalised as in <see cref="Entropy.FromCounts{T}(ReadOnlySpan{T}, double)"/>: counts of any finite
    /// magnitude (near MaxValue, or subnormal) are first scaled by a power of two when Σ or 1/Σ is not a normal number.</remarks>
    /// <example><code>double d = KLDivergence.FromCounts([5.0, 5.0], [9.0, 1.0]); // 0.5108 nats</code></example>
    public static T FromCounts<T>(ReadOnlySpan<T> p, ReadOnlySpan<T> q, double logBase)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Batch.OneRow<T, double>(p, q, logBase, FromCounts);

    /// <summary>D(P ‖ Q) of each row pair of two batches of counts, each row normalised by its own sum.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="p">rows × classCount reference counts.</param>
    /// <param name="q">rows × classCount approximating counts.</param>
    /// <param name="destination">At least rows long.</param>
    /// <param name="classCount">The row length, positive.</param>
    /// <param name="logBase">The logarithm base.</param>
    /// <param name="maxDegreeOfParallelism">1 (default) for one thread, n for up to n threads, −1 for all cores; the result is bitwise the same for any value.</param>
    /// <exception cref="ArgumentException">A bad element, shape or destination.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classCount"/> or <paramref name="logBase"/> is invalid.</exception>
    /// <example>
    /// <code>
    /// double[] histogramsP = [5, 5, 2, 0];
    /// double[] histogramsQ = [9, 1, 3, 3];
    /// var perRow = new double[2];
    /// KLDivergence.FromCounts(histogramsP, histogramsQ, perRow, classCount: 2); // [0.5108, ln 2]
    /// </code>
    /// </example>
    public static unsafe void FromCounts<T>(ReadOnlySpan<T> p, ReadOnlySpan<T> q, Span<T> destination, int classCount, double logBase = Math.E, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T scale = Batch.PerRowInBase(p, q, destination, classCount, logBase, maxDegreeOfParallelism, nameof(p), nameof(q), DistributionInputs.Both);
        Batch.Run(new RelativeEntropyOp<T> { Scale = scale, Normalize = true }, p, q, default, destination, classCount, maxDegreeOfParallelism);
    }

    /// <inheritdoc cref="FromLogProbabilities{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, bool)"/>
    public static T FromLogProbabilities<T>(ReadOnlySpan<T> p, ReadOnlySpan<T> logQ)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        FromLogProbabilities(p, logQ, false);

    /// <summary>
    /// D(P ‖ Q) = Σᵢ pᵢ (log pᵢ − log qᵢ) from Q given as log-probabilities, and P as probabilities or, with
    /// <paramref name="logTarget"/>, as log-probabilities: the sum of PyTorch's <c>kl_div(logQ, p, log_target)</c> terms.
    /// </summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="p">P: probabilities (finite, ≥ 0), or log-probabilities (not NaN or +∞) when <paramref name="logTarget"/>.</param>
    /// <param name="logQ">log Q, same length, not NaN or +∞ (e.g. the output of <see cref="LogSoftmax"/>).</param>
    /// <param name="logTarget">Whether <paramref name="p"/> holds log P (PyTorch's <c>log_target=True</c>).</param>
    /// <returns>The sum (PyTorch's <c>reduction="sum"</c>); used as is, without normalising; 0 for empty rows.</returns>
    /// <exception cref="ArgumentException">Lengths differ, or an element is bad.</exception>
    /// <remarks>A zero P (or log P = −∞) contributes 0 even where log qᵢ = −∞; PyTorch gives NaN there.</remarks>
    /// <example><code>double d = KLDivergence.FromLogProbabilities([0.5, 0.5], [Math.Log(0.9), Math.Log(0.1)]); // 0.5108</code></example>
    public static T FromLogProbabilities<T>(ReadOnlySpan<T> p, ReadOnlySpan<T> logQ, bool logTarget)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Batch.OneRow<T, bool>(p, logQ, logTarget, FromLogProbabilities);

    /// <summary>D(P ‖ Q) from log Q (and P or log P) for each row pair of two batches.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="p">rows × classCount P, or log P when <paramref name="logTarget"/>.</param>
    /// <param name="logQ">rows × classCount log Q.</param>
    /// <param name="destination">At least rows long.</param>
    /// <param name="classCount">The row length, positive.</param>
    /// <param name="logTarget">Whether <paramref name="p"/> holds log P.</param>
    /// <param name="maxDegreeOfParallelism">1 (default) for one thread, n for up to n threads, −1 for all cores; the result is bitwise the same for any value.</param>
    /// <exception cref="ArgumentException">A bad element, shape or destination.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classCount"/> is not positive.</exception>
    /// <example>
    /// <code>
    /// double[] logP = [Math.Log(0.5), Math.Log(0.5)];
    /// double[] logQ = [Math.Log(0.9), Math.Log(0.1)];
    /// var perRow = new double[1];
    /// KLDivergence.FromLogProbabilities(logP, logQ, perRow, classCount: 2, logTarget: true); // [0.5108]
    /// </code>
    /// </example>
    public static unsafe void FromLogProbabilities<T>(ReadOnlySpan<T> p, ReadOnlySpan<T> logQ, Span<T> destination, int classCount, bool logTarget = false, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Batch.PerRow(p, logQ, destination, classCount, maxDegreeOfParallelism, nameof(p), nameof(logQ));
        CheckLogInputs(p, logQ, logTarget);
        Batch.Run(new LogRelativeEntropyOp<T> { LogTarget = logTarget }, p, logQ, default, destination, classCount, maxDegreeOfParallelism);
    }

    /// <inheritdoc cref="FromLogits{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, double)"/>
    public static T FromLogits<T>(ReadOnlySpan<T> teacherLogits, ReadOnlySpan<T> studentLogits)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        FromLogits(teacherLogits, studentLogits, 1);

    /// <summary>
    /// KL(softmax(t/T) ‖ softmax(s/T)) for one row of teacher logits t and student logits s at temperature T, in one
    /// fused pass (two exps per element, no probabilities written).
    /// </summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="teacherLogits">Logits of P (the teacher, the reference); −∞ masks a class.</param>
    /// <param name="studentLogits">Logits of Q (the student), same length.</param>
    /// <param name="temperature">T &gt; 0 with 1/T a normal number of type <typeparamref name="T"/>; each logit minus its
    /// row's maximum is divided by T before the softmax, so huge finite logits ([3e10, 0] at T = 3) stay exact.</param>
    /// <returns>The divergence in nats; +∞ if the student masks a class the teacher does not; NaN for a NaN or +∞ logit or a fully masked teacher row; 0 for empty rows.</returns>
    /// <exception cref="ArgumentException">Lengths differ.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="temperature"/> is not positive and finite, or 1/T is not a normal number of type <typeparamref name="T"/>.</exception>
    /// <example>
    /// <code>
    /// float[] teacher = [2f, 0f, -1f];
    /// float[] student = [1f, 1f, 0f];
    /// float d = KLDivergence.FromLogits(teacher, student, temperature: 2); // KL(softmax(t/2) ‖ softmax(s/2))
    /// </code>
    /// </example>
    /// <seealso cref="Distillation{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, int, Span{T}, Reduction, double, bool, int)"/>
    public static T FromLogits<T>(ReadOnlySpan<T> teacherLogits, ReadOnlySpan<T> studentLogits, double temperature)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Batch.OneRow<T, double>(teacherLogits, studentLogits, temperature, FromLogits);

    /// <summary>KL(softmax(t/T) ‖ softmax(s/T)) of each row pair of two row-major batches of logits.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="teacherLogits">rows × classCount teacher logits (P).</param>
    /// <param name="studentLogits">rows × classCount student logits (Q).</param>
    /// <param name="destination">At least rows long.</param>
    /// <param name="classCount">The row length, positive.</param>
    /// <param name="temperature">T &gt; 0.</param>
    /// <param name="maxDegreeOfParallelism">1 (default) for one thread, n for up to n threads, −1 for all cores; the result is bitwise the same for any value.</param>
    /// <exception cref="ArgumentException">A bad shape or destination.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classCount"/> or <paramref name="temperature"/> is invalid.</exception>
    /// <example>
    /// <code>
    /// float[] teacher = [2f, 0f, -1f, 0f, 0f, 0f];
    /// float[] student = [1f, 1f, 0f, 0f, 0f, 0f];
    /// var perRow = new float[2];
    /// KLDivergence.FromLogits(teacher, student, perRow, classCount: 3, temperature: 2); // second row: 0
    /// </code>
    /// </example>
    public static unsafe void FromLogits<T>(ReadOnlySpan<T> teacherLogits, ReadOnlySpan<T> studentLogits, Span<T> destination, int classCount, double temperature = 1, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Batch.PerRow(teacherLogits, studentLogits, destination, classCount, maxDegreeOfParallelism, nameof(teacherLogits), nameof(studentLogits));
        T inverseTemperature = T.CreateTruncating(1 / Guard.Temperature<T>(temperature));
        Batch.Run(new DistillationOp<T> { InverseTemperature = inverseTemperature, Scale = T.One }, teacherLogits, studentLogits, default, destination, classCount, maxDegreeOfParallelism);
    }

    /// <summary>
    /// The knowledge-distillation loss L = reduce over rows of [T² ·] KL(softmax(t/T) ‖ softmax(s/T)), and its gradient
    /// with respect to the student logits, ∂L/∂sᵢ = [T² ·] (qᵢ − pᵢ) / T / divisor, written in the same call.
    /// </summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="teacherLogits">rows × classCount teacher logits (P, the target; no gradient flows to it).</param>
    /// <param name="studentLogits">rows × classCount student logits (Q).</param>
    /// <param name="classCount">The row length, positive.</param>
    /// <param name="studentGradient">rows × classCount: receives ∂L/∂studentLogits; may be <paramref name="studentLogits"/>
    /// itself (overwritten after each row is read); empty to compute the loss only.</param>
    /// <param name="temperature">T &gt; 0 (Hinton et al. use 1–20), with 1/T and (when scaled) T² normal numbers of type
    /// <typeparamref name="T"/>: float accepts about [3e-39, 8.5e37] ([1.1e-19, 1.8e19] with T²), double [5.6e-309, 4.5e307]
    /// ([1.5e-154, 1.3e154] with T²).</param>
    /// <param name="scaleByTemperatureSquared">Multiply the loss (and gradient) by T², which keeps the gradient's
    /// magnitude independent of T (Hinton et al., 2015).</param>
    /// <param name="reduction"><see cref="Reduction.BatchMean"/> (÷ rows, the mathematically correct KL mean and PyTorch's
    /// recommendation), <see cref="Reduction.Sum"/>, or <see cref="Reduction.Mean"/> (÷ rows·classCount, PyTorch's
    /// <c>kl_div</c> "mean"). For per-row values use <see cref="FromLogits{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, int, double, int)"/>.</param>
    /// <returns>The reduced loss; NaN for Mean or BatchMean of zero rows, 0 for Sum.</returns>
    /// <exception cref="ArgumentException">A bad shape, a short or partly overlapping gradient.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classCount"/>, <paramref name="temperature"/> or
    /// <paramref name="reduction"/> (<see cref="Reduction.None"/>) is invalid.</exception>
    /// <param name="maxDegreeOfParallelism">1 (default) for one thread, n for up to n threads, −1 for all cores; the result is bitwise the same for any value.</param>
    /// <remarks>Equals PyTorch's <c>F.kl_div(F.log_softmax(s/T), F.softmax(t/T), reduction="batchmean") * T*T</c> and its
    /// autograd gradient (except that a class masked with −∞ in both rows contributes 0 here and NaN in PyTorch). Cost per row:
    /// a max pass over both rows, one fused pass (two exps per element) that also stores the student's softmax numerators
    /// into the gradient, and a pass that recomputes the teacher's numerators while writing the gradient: three exps per
    /// element and no scratch memory, whatever the row length. Rows of up to 128 classes run several rows per vector
    /// (two exps per element).</remarks>
    /// <example>
    /// <code>
    /// float[] teacherLogits = [2f, 0f, -1f, 0f, 0f, 3f];   // 2 rows × 3 classes
    /// float[] studentLogits = [1f, 1f, 0f, 0f, 1f, 1f];
    /// var gradient = new float[6];
    /// float loss = KLDivergence.Distillation(teacherLogits, studentLogits, classCount: 3, studentGradient: gradient,
    ///     temperature: 4, scaleByTemperatureSquared: true);
    /// </code>
    /// </example>
    public static unsafe T Distillation<T>(ReadOnlySpan<T> teacherLogits, ReadOnlySpan<T> studentLogits, int classCount, Span<T> studentGradient = default,
        Reduction reduction = Reduction.BatchMean, double temperature = 1, bool scaleByTemperatureSquared = false, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Guard.FloatOrDouble<T>();
        int rows = Guard.Rows(teacherLogits.Length, classCount, nameof(teacherLogits));
        Guard.SameLength(teacherLogits.Length, studentLogits.Length, nameof(studentLogits), nameof(teacherLogits));
        RowDriver.CheckParallelism(maxDegreeOfParallelism);
        if (!studentGradient.IsEmpty)
        {
            Guard.DestinationLength(teacherLogits.Length, studentGradient.Length, nameof(studentGradient));
            studentGradient = studentGradient[..teacherLogits.Length];

            // The row path stores the student's numerators into the gradient before it reads the teacher again.
            Guard.Apart<T>(teacherLogits, studentGradient, nameof(teacherLogits), nameof(studentGradient));
            Guard.InPlaceOrApart<T>(studentLogits, studentGradient, nameof(studentLogits), nameof(studentGradient));
        }
        double t = Guard.Temperature<T>(temperature, scaleByTemperatureSquared);
        double divisor = reduction switch
        {
            Reduction.Sum => 1,
            Reduction.BatchMean => rows,
            Reduction.Mean => (double)rows * classCount,
            _ => throw new ArgumentOutOfRangeException(nameof(reduction), reduction, "Distillation reduces to one loss: use Sum, Mean or BatchMean (FromLogits with a destination gives per-row values)."),
        };
        double scale = scaleByTemperatureSquared ? t * t : 1;
        var op = new DistillationOp<T>
        {
            InverseTemperature = T.CreateTruncating(1 / t),
            Scale = T.CreateTruncating(scale),
            GradientScale = T.CreateTruncating(scale / t / divisor),
        };
        double total = Batch.Run(in op, teacherLogits, studentLogits, studentGradient, default, classCount, maxDegreeOfParallelism);
        return T.CreateTruncating(total / divisor);
    }

    private static void CheckLogInputs<T>(ReadOnlySpan<T> p, ReadOnlySpan<T> logQ, bool logTarget)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (logTarget)
        {
            Guard.LogProbabilities(p, nameof(p));
        }
        else
        {
            Guard.Probabilities(p, nameof(p));
        }
        Guard.LogProbabilities(logQ, nameof(logQ));
    }
}
