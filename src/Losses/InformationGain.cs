using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using Losses.Kernels;

namespace Losses;

/// <summary>
/// Information gain and the decision-tree split criteria built on it, with scikit-learn's semantics:
/// IG(Y; X) = H(Y) − H(Y | X), where H(Y) = −Σ_y p(y) log p(y) is the entropy of the class labels and
/// H(Y | X) = Σ_x p(x) H(Y | X = x) the weighted entropy of the labels within each branch; the C4.5 gain ratio
/// IG / H(X); the best threshold of a numeric feature; and the mutual information (normalized or not) between two
/// labelings.
/// </summary>
/// <remarks>
/// <para><b>Inputs.</b> Class labels and categorical feature values are small non-negative integers (0, 1, 2, …): they
/// index a contingency table of (largest feature value + 1) × (largest label + 1) counts, so relabel large or sparse
/// codes first. Sample weights, where accepted, are finite and ≥ 0 (an empty span means weight 1 for every sample).
/// A contingency table is row-major [feature values × classes]: <c>table[x * classCount + y]</c> is the count (or total
/// weight) of samples with feature value x and label y.</para>
/// <para><b>Units.</b> Every information quantity here (entropy of counts, information gain, conditional entropy, split
/// information, best-threshold gain, mutual information) is in nats unless a <c>logBase</c> is given, as SciPy's
/// <c>entropy</c>, scikit-learn's <c>mutual_info_score</c> and PyTorch; pass <c>logBase: 2</c> for bits, the unit in
/// which scikit-learn's <c>criterion="entropy"</c> trees report impurity. Normalized mutual information and the gain
/// ratio do not depend on the base.</para>
/// <para><b>Memory.</b> Functions on a contingency table or histogram allocate nothing (a column total per class is kept
/// on the stack up to 512 classes, rented above). Functions on label spans count into a table rented from
/// <see cref="ArrayPool{T}.Shared"/> and return it; <see cref="CountContingency{T}"/> lets a caller count into its own
/// table instead. <see cref="BestThreshold{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, ReadOnlySpan{T}, int, Span{T}, Span{int}, Span{double}, double)"/>
/// takes its scratch from the caller apart from the radix sort's two buffers (rented, and kept by the pool between calls);
/// <see cref="BestThresholdSorted{T}"/> takes all its scratch from the caller.</para>
/// <para><b>Accuracy.</b> Entropies are computed as −Σ p ln p with p = count / total in double (float tables: in float),
/// each term with the vector log (≤ 2 ulp), summed without drift; a gain is within a few ulp of H(Y) in absolute terms.
/// Rounding never makes a gain negative or larger than H(Y): results are clamped to [0, H(Y)], as scikit-learn clips
/// its mutual information at 0.</para>
/// <para><b>Bad input</b> (negative labels or feature values, mismatched lengths, negative or non-finite weights, NaN
/// feature values) throws <see cref="ArgumentException"/> naming the argument, the index and the value, before anything
/// is written.</para>
/// </remarks>
/// <example>
/// <code>
/// int[] play    = [0, 0, 1, 1, 1, 0, 1];
/// int[] outlook = [0, 0, 1, 2, 2, 2, 1];
/// double nats  = InformationGain.Of(play, outlook);        // H(play) − H(play | outlook), in nats
/// double bits  = InformationGain.Of(play, outlook, logBase: 2);
/// double ratio = InformationGain.GainRatio(play, outlook); // C4.5
/// var split = InformationGain.BestThreshold([64.0, 65, 68, 69, 70, 71], [1, 0, 1, 1, 1, 0]);
/// // split.Threshold, split.Gain (nats), split.LeftCount
/// </code>
/// </example>
/// <seealso cref="ThresholdSplit{T}"/>
/// <seealso cref="MutualInformationAverage"/>
[SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters",
    Justification = "Overloads differ in their required parameters (int counts vs T weights, with or without scratch), so a call never depends on which optional parameters exist; logBase is optional everywhere so that nats stay the default.")]
public static class InformationGain
{
    private const int StackClasses = 512;

    /// <summary>The entropy of a histogram of counts: H = −Σᵢ pᵢ log pᵢ with pᵢ = countsᵢ / Σ counts.</summary>
    /// <param name="counts">One count per class, each ≥ 0.</param>
    /// <param name="logBase">The base of the logarithm: <see cref="Math.E"/> (default) for nats, 2 for bits.</param>
    /// <returns>The entropy, in [0, log(number of non-zero counts)]; 0 for an empty or all-zero histogram.</returns>
    /// <exception cref="ArgumentException">A count is negative (the message names its index), or <paramref name="logBase"/> is not a valid base.</exception>
    /// <example><code>InformationGain.EntropyOfCounts([5, 5], logBase: 2); // 1 bit</code></example>
    /// <seealso cref="ConditionalEntropy(ReadOnlySpan{int}, ReadOnlySpan{int}, double)"/>
    public static double EntropyOfCounts(ReadOnlySpan<int> counts, double logBase = Math.E)
    {
        double scale = LogScale(logBase);
        long total = 0;
        for (int i = 0; i < counts.Length; i++)
        {
            if (counts[i] < 0)
            {
                throw new ArgumentException($"counts[{i}] is {counts[i]}; counts must be ≥ 0.", nameof(counts));
            }
            total += counts[i];
        }
        return total == 0 ? 0 : Math.Max(-InformationKernels.SumXLogX(counts, (double)total), 0) * scale;
    }

    /// <summary>The entropy of a histogram of real-valued weights: H = −Σᵢ pᵢ log pᵢ with pᵢ = weightsᵢ / Σ weights.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="weights">One total weight per class, each finite and ≥ 0.</param>
    /// <param name="logBase">The base of the logarithm: <see cref="Math.E"/> (default) for nats, 2 for bits.</param>
    /// <returns>The entropy; 0 for an empty or all-zero histogram.</returns>
    /// <exception cref="ArgumentException">A weight is negative, NaN or infinite (the message names its index), or <paramref name="logBase"/> is not a valid base.</exception>
    /// <example><code>InformationGain.EntropyOfCounts([0.5, 0.25, 0.25], logBase: 2); // 1.5 bits</code></example>
    public static T EntropyOfCounts<T>(ReadOnlySpan<T> weights, double logBase = Math.E)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Guard.FloatOrDouble<T>();
        double scale = LogScale(logBase);
        double total = CheckedSum(weights, nameof(weights));
        T sum = T.CreateTruncating(total);
        if (total != 0 && !(T.IsNormal(sum) && T.IsNormal(T.One / sum)))
        {
            // Weights near MaxValue or subnormal: Entropy.FromCounts normalises with the shared power-of-two scaling.
            return T.Max(Entropy.FromCounts(weights, logBase), T.Zero);
        }
        return total == 0 ? T.Zero : T.CreateTruncating(Math.Max(-double.CreateTruncating(InformationKernels.SumXLogX(weights, sum)), 0) * scale);
    }

    /// <summary>
    /// Counts a contingency table: <c>table[x * classCount + y]</c> = Σ weight of the samples with feature value x and
    /// label y. The table is cleared first. Allocates nothing.
    /// </summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="labels">n class labels, each in [0, <paramref name="classCount"/>).</param>
    /// <param name="featureValues">n feature values, each in [0, table.Length / classCount).</param>
    /// <param name="sampleWeights">n weights (finite, ≥ 0), or empty for weight 1 each.</param>
    /// <param name="classCount">The number of classes (columns of the table), positive.</param>
    /// <param name="table">featureValueCount × classCount entries, row-major; its length must be a multiple of <paramref name="classCount"/>.</param>
    /// <remarks>Float tables count exactly up to 2²⁴ samples per cell.</remarks>
    /// <exception cref="ArgumentException">Lengths disagree, or a label, feature value or weight is out of range (the message names the index).</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classCount"/> is not positive.</exception>
    /// <example>
    /// <code>
    /// int[] labels = [0, 0, 1, 1, 1, 0];
    /// int[] featureValues = [0, 1, 1, 2, 2, 0];
    /// Span&lt;double&gt; table = stackalloc double[3 * 2]; // 3 feature values × 2 classes
    /// InformationGain.CountContingency(labels, featureValues, ReadOnlySpan&lt;double&gt;.Empty, 2, table);
    /// double gain = InformationGain.FromContingency&lt;double&gt;(table, 2);
    /// </code>
    /// </example>
    public static void CountContingency<T>(ReadOnlySpan<int> labels, ReadOnlySpan<int> featureValues, ReadOnlySpan<T> sampleWeights, int classCount, Span<T> table)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Guard.FloatOrDouble<T>();
        int featureValueCount = Guard.Rows(table.Length, classCount, nameof(table));
        Guard.SameLength(labels.Length, featureValues.Length, nameof(featureValues), nameof(labels));
        CheckWeights(sampleWeights, labels.Length);
        CheckRange(labels, classCount, nameof(labels));
        CheckRange(featureValues, featureValueCount, nameof(featureValues));
        Count(labels, featureValues, sampleWeights, classCount, table);
    }

    /// <summary>IG(Y; X) = H(Y) − H(Y | X) from a contingency table of feature values × classes. Allocates nothing.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="table">featureValueCount × classCount counts or weights, row-major, each finite and ≥ 0.</param>
    /// <param name="classCount">The number of classes (columns), positive.</param>
    /// <param name="logBase">The base of the logarithm: <see cref="Math.E"/> (default) for nats, 2 for bits.</param>
    /// <returns>The gain in [0, H(Y)]; 0 for an empty or all-zero table.</returns>
    /// <exception cref="ArgumentException">An entry is negative or not finite (the message names its index), or the length is not a multiple of <paramref name="classCount"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classCount"/> is not positive.</exception>
    /// <example><code>InformationGain.FromContingency&lt;double&gt;([3, 0, 0, 3], 2, logBase: 2); // 1 bit: the feature decides the class</code></example>
    public static T FromContingency<T>(ReadOnlySpan<T> table, int classCount, double logBase = Math.E)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        T.CreateTruncating(Entropies(table, classCount, nameof(table)).Gain * LogScale(logBase));

    /// <summary>H(Y | X) = Σ_x p(x) H(Y | X = x) from a contingency table of feature values × classes. Allocates nothing.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="table">featureValueCount × classCount counts or weights, row-major.</param>
    /// <param name="classCount">The number of classes (columns), positive.</param>
    /// <param name="logBase">The base of the logarithm: <see cref="Math.E"/> (default) for nats, 2 for bits.</param>
    /// <returns>The conditional entropy, in [0, H(Y)]; 0 for an empty table.</returns>
    /// <exception cref="ArgumentException">As <see cref="FromContingency{T}"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classCount"/> is not positive.</exception>
    /// <example><code>InformationGain.ConditionalEntropyFromContingency&lt;double&gt;([1, 1, 2, 0], 2, logBase: 2); // 0.5 bits</code></example>
    public static T ConditionalEntropyFromContingency<T>(ReadOnlySpan<T> table, int classCount, double logBase = Math.E)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var e = Entropies(table, classCount, nameof(table));
        return T.CreateTruncating((e.Labels - e.Gain) * LogScale(logBase));
    }

    /// <summary>The split information H(X) = −Σ_x p(x) log p(x), the entropy of the feature's values, from a contingency table. Allocates nothing.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="table">featureValueCount × classCount counts or weights, row-major.</param>
    /// <param name="classCount">The number of classes (columns), positive.</param>
    /// <param name="logBase">The base of the logarithm: <see cref="Math.E"/> (default) for nats, 2 for bits.</param>
    /// <returns>The split information; 0 when all samples share one feature value or the table is empty.</returns>
    /// <exception cref="ArgumentException">As <see cref="FromContingency{T}"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classCount"/> is not positive.</exception>
    /// <example><code>InformationGain.SplitInformationFromContingency&lt;double&gt;([1, 1, 2, 0], 2, logBase: 2); // 1 bit</code></example>
    public static T SplitInformationFromContingency<T>(ReadOnlySpan<T> table, int classCount, double logBase = Math.E)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        T.CreateTruncating(Entropies(table, classCount, nameof(table)).Features * LogScale(logBase));

    /// <summary>The C4.5 gain ratio IG(Y; X) / H(X) from a contingency table. Allocates nothing.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="table">featureValueCount × classCount counts or weights, row-major.</param>
    /// <param name="classCount">The number of classes (columns), positive.</param>
    /// <returns>The gain ratio in [0, 1]; independent of the base. When the split information H(X) is 0 (all samples
    /// share one feature value, so the "split" does not split) the gain is 0 too and the ratio is defined as 0, so such a
    /// feature is never preferred.</returns>
    /// <exception cref="ArgumentException">As <see cref="FromContingency{T}"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classCount"/> is not positive.</exception>
    /// <example><code>InformationGain.GainRatioFromContingency&lt;double&gt;([3, 0, 0, 3], 2); // 1</code></example>
    public static T GainRatioFromContingency<T>(ReadOnlySpan<T> table, int classCount)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        T.CreateTruncating(Entropies(table, classCount, nameof(table)).GainRatio);

    /// <summary>
    /// The mutual information I(U; V) = Σ p(u, v) log(p(u, v) / (p(u) p(v))) from a contingency table of two labelings
    /// (rows: values of U, columns: values of V), as scikit-learn's <c>mutual_info_score(contingency=…)</c>. Allocates nothing.
    /// </summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="table">rowCount × columnCount counts, row-major.</param>
    /// <param name="columnCount">The number of columns, positive.</param>
    /// <param name="logBase">The base: <see cref="Math.E"/> (default, nats, as scikit-learn) or 2 for bits.</param>
    /// <returns>I(U; V) ≥ 0; 0 for an empty table.</returns>
    /// <exception cref="ArgumentException">As <see cref="FromContingency{T}"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="columnCount"/> is not positive.</exception>
    /// <example><code>InformationGain.MutualInformationFromContingency&lt;double&gt;([3, 0, 0, 3], 2); // ln 2</code></example>
    public static T MutualInformationFromContingency<T>(ReadOnlySpan<T> table, int columnCount, double logBase = Math.E)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        T.CreateTruncating(Entropies(table, columnCount, nameof(table)).Gain * LogScale(logBase));

    /// <summary>
    /// The normalized mutual information I(U; V) / mean(H(U), H(V)) from a contingency table, as scikit-learn's
    /// <c>normalized_mutual_info_score</c>. Allocates nothing.
    /// </summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="table">rowCount × columnCount counts, row-major.</param>
    /// <param name="columnCount">The number of columns, positive.</param>
    /// <param name="average">How the two entropies are averaged (scikit-learn's <c>average_method</c>); arithmetic by default.</param>
    /// <returns>NMI in [0, 1]: 1 when both labelings put everything in one cluster (or there are no samples), 0 when the mutual
    /// information is 0 (including when exactly one labeling has a single cluster), as scikit-learn.</returns>
    /// <exception cref="ArgumentException">As <see cref="FromContingency{T}"/>, or <paramref name="average"/> is not defined.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="columnCount"/> is not positive.</exception>
    /// <example><code>InformationGain.NormalizedMutualInformationFromContingency&lt;double&gt;([0, 3, 3, 0], 2); // 1</code></example>
    public static T NormalizedMutualInformationFromContingency<T>(ReadOnlySpan<T> table, int columnCount, MutualInformationAverage average = MutualInformationAverage.Arithmetic)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Guard.FloatOrDouble<T>();
        CheckAverage(average);
        return T.CreateTruncating(Entropies(table, columnCount, nameof(table)).Normalized(average));
    }

    /// <summary>IG(Y; X) = H(Y) − H(Y | X) of a categorical feature.</summary>
    /// <param name="labels">n class labels, each ≥ 0.</param>
    /// <param name="featureValues">n feature values, each ≥ 0.</param>
    /// <param name="logBase">The base of the logarithm: <see cref="Math.E"/> (default) for nats, 2 for bits.</param>
    /// <returns>The gain in [0, H(Y)]: 0 for a constant feature, H(Y) for a feature that determines the label; 0 for no samples.</returns>
    /// <remarks>Counts into a (max feature value + 1) × (max label + 1) table rented from <see cref="ArrayPool{T}.Shared"/>.
    /// Equals <see cref="MutualInformation"/>(labels, featureValues) in the same base.</remarks>
    /// <exception cref="ArgumentException">Lengths disagree, or a label or feature value is negative (the message names the index).</exception>
    /// <example><code>InformationGain.Of([0, 0, 1, 1], [5, 5, 7, 7], logBase: 2); // 1 bit</code></example>
    public static double Of(ReadOnlySpan<int> labels, ReadOnlySpan<int> featureValues, double logBase = Math.E) =>
        Counted(labels, featureValues, ReadOnlySpan<double>.Empty, Measure.Gain, logBase);

    /// <summary>IG(Y; X) of a categorical feature with sample weights: the probabilities are weight fractions.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="labels">n class labels, each ≥ 0.</param>
    /// <param name="featureValues">n feature values, each ≥ 0.</param>
    /// <param name="sampleWeights">n weights, finite and ≥ 0 (empty: weight 1 each).</param>
    /// <param name="logBase">The base of the logarithm: <see cref="Math.E"/> (default) for nats, 2 for bits.</param>
    /// <returns>The gain in [0, H(Y)].</returns>
    /// <exception cref="ArgumentException">Lengths disagree, or a label, feature value or weight is out of range (the message names the index).</exception>
    /// <example><code>InformationGain.Of&lt;double&gt;([0, 1, 1], [0, 1, 1], [2.0, 1.0, 1.0], logBase: 2); // 1 bit</code></example>
    public static T Of<T>(ReadOnlySpan<int> labels, ReadOnlySpan<int> featureValues, ReadOnlySpan<T> sampleWeights, double logBase = Math.E)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        T.CreateTruncating(Counted(labels, featureValues, sampleWeights, Measure.Gain, logBase));

    /// <summary>H(Y | X) = Σ_x p(x) H(Y | X = x), the entropy of the labels left after splitting on the feature.</summary>
    /// <param name="labels">n class labels, each ≥ 0.</param>
    /// <param name="featureValues">n feature values, each ≥ 0.</param>
    /// <param name="logBase">The base of the logarithm: <see cref="Math.E"/> (default) for nats, 2 for bits.</param>
    /// <returns>H(Y | X) in [0, H(Y)].</returns>
    /// <exception cref="ArgumentException">As <see cref="Of(ReadOnlySpan{int}, ReadOnlySpan{int}, double)"/>.</exception>
    /// <example><code>InformationGain.ConditionalEntropy([0, 1, 0, 0], [0, 0, 1, 1], logBase: 2); // 0.5 bits</code></example>
    public static double ConditionalEntropy(ReadOnlySpan<int> labels, ReadOnlySpan<int> featureValues, double logBase = Math.E) =>
        Counted(labels, featureValues, ReadOnlySpan<double>.Empty, Measure.ConditionalEntropy, logBase);

    /// <summary>H(Y | X) with sample weights.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="labels">n class labels, each ≥ 0.</param>
    /// <param name="featureValues">n feature values, each ≥ 0.</param>
    /// <param name="sampleWeights">n weights, finite and ≥ 0 (empty: weight 1 each).</param>
    /// <param name="logBase">The base of the logarithm: <see cref="Math.E"/> (default) for nats, 2 for bits.</param>
    /// <returns>H(Y | X) in [0, H(Y)].</returns>
    /// <exception cref="ArgumentException">As <see cref="Of{T}(ReadOnlySpan{int}, ReadOnlySpan{int}, ReadOnlySpan{T}, double)"/>.</exception>
    /// <example><code>InformationGain.ConditionalEntropy&lt;double&gt;([0, 1, 0], [0, 0, 1], [1.0, 1.0, 2.0], logBase: 2); // 0.5 bits</code></example>
    public static T ConditionalEntropy<T>(ReadOnlySpan<int> labels, ReadOnlySpan<int> featureValues, ReadOnlySpan<T> sampleWeights, double logBase = Math.E)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        T.CreateTruncating(Counted(labels, featureValues, sampleWeights, Measure.ConditionalEntropy, logBase));

    /// <summary>The C4.5 gain ratio IG(Y; X) / H(X) of a categorical feature.</summary>
    /// <param name="labels">n class labels, each ≥ 0.</param>
    /// <param name="featureValues">n feature values, each ≥ 0.</param>
    /// <returns>The ratio in [0, 1], independent of the base; 0 when the split information H(X) is 0 (a constant feature).</returns>
    /// <exception cref="ArgumentException">As <see cref="Of(ReadOnlySpan{int}, ReadOnlySpan{int}, double)"/>.</exception>
    /// <example><code>InformationGain.GainRatio([0, 0, 1, 1], [0, 1, 2, 3]); // 0.5: 1 bit of gain over 2 bits of split information</code></example>
    public static double GainRatio(ReadOnlySpan<int> labels, ReadOnlySpan<int> featureValues) =>
        Counted(labels, featureValues, ReadOnlySpan<double>.Empty, Measure.GainRatio, 2);

    /// <summary>The C4.5 gain ratio with sample weights.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="labels">n class labels, each ≥ 0.</param>
    /// <param name="featureValues">n feature values, each ≥ 0.</param>
    /// <param name="sampleWeights">n weights, finite and ≥ 0 (empty: weight 1 each).</param>
    /// <returns>The ratio in [0, 1]; 0 when the split information is 0.</returns>
    /// <exception cref="ArgumentException">As <see cref="Of{T}(ReadOnlySpan{int}, ReadOnlySpan{int}, ReadOnlySpan{T}, double)"/>.</exception>
    /// <example><code>InformationGain.GainRatio&lt;double&gt;([0, 1], [0, 1], [1.0, 3.0]); // 1</code></example>
    public static T GainRatio<T>(ReadOnlySpan<int> labels, ReadOnlySpan<int> featureValues, ReadOnlySpan<T> sampleWeights)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        T.CreateTruncating(Counted(labels, featureValues, sampleWeights, Measure.GainRatio, 2));

    /// <summary>The split information H(X) = −Σ_x p(x) log p(x) of a categorical feature (the gain ratio's denominator).</summary>
    /// <param name="featureValues">n feature values, each ≥ 0.</param>
    /// <param name="logBase">The base of the logarithm: <see cref="Math.E"/> (default) for nats, 2 for bits.</param>
    /// <returns>H(X); 0 for a constant feature or no samples.</returns>
    /// <exception cref="ArgumentException">A feature value is negative (the message names the index).</exception>
    /// <example><code>InformationGain.SplitInformation([0, 1, 2, 3], logBase: 2); // 2 bits</code></example>
    public static double SplitInformation(ReadOnlySpan<int> featureValues, double logBase = Math.E) =>
        SplitInformation(featureValues, ReadOnlySpan<double>.Empty, logBase);

    /// <summary>The split information H(X) of a categorical feature with sample weights.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="featureValues">n feature values, each ≥ 0.</param>
    /// <param name="sampleWeights">n weights, finite and ≥ 0 (empty: weight 1 each).</param>
    /// <param name="logBase">The base of the logarithm: <see cref="Math.E"/> (default) for nats, 2 for bits.</param>
    /// <returns>H(X); 0 for a constant feature or no samples.</returns>
    /// <exception cref="ArgumentException">A feature value or weight is out of range, or the lengths disagree (the message names the index).</exception>
    /// <example><code>InformationGain.SplitInformation&lt;double&gt;([0, 1], [1.0, 1.0], logBase: 2); // 1 bit</code></example>
    public static T SplitInformation<T>(ReadOnlySpan<int> featureValues, ReadOnlySpan<T> sampleWeights, double logBase = Math.E)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Guard.FloatOrDouble<T>();
        double scale = LogScale(logBase);
        CheckWeights(sampleWeights, featureValues.Length);
        long valueCount = CountOf(featureValues, nameof(featureValues));
        if (!Dense(valueCount, featureValues.Length))
        {
            // Sparse codes: H(X) is the label entropy of the samples with the feature as their label.
            var e = SparseEntropies(featureValues, featureValues, sampleWeights);
            return e.Empty ? T.Zero : T.CreateTruncating(e.Labels * scale);
        }
        int values = (int)valueCount;
        double[] histogram = ArrayPool<double>.Shared.Rent(values);
        try
        {
            Span<double> h = histogram.AsSpan(0, values);
            h.Clear();
            double total = 0;
            for (int i = 0; i < featureValues.Length; i++)
            {
                double w = sampleWeights.IsEmpty ? 1.0 : double.CreateTruncating(sampleWeights[i]);
                h[featureValues[i]] += w;
                total += w;
            }
            return total == 0 ? T.Zero : T.CreateTruncating(Math.Max(-InformationKernels.SumXLogX<double>(h, total), 0) * scale);
        }
        finally
        {
            ArrayPool<double>.Shared.Return(histogram);
        }
    }

    /// <summary>
    /// The mutual information I(U; V) between two labelings of the same samples, as scikit-learn's
    /// <c>mutual_info_score(labelsA, labelsB)</c>: Σ p(u, v) log(p(u, v) / (p(u) p(v))).
    /// </summary>
    /// <param name="labelsA">n labels of the first labeling, each ≥ 0.</param>
    /// <param name="labelsB">n labels of the second labeling, each ≥ 0.</param>
    /// <param name="logBase"><see cref="Math.E"/> (default) for nats, as scikit-learn; 2 for bits.</param>
    /// <returns>I(U; V) ≥ 0, symmetric in its arguments; 0 for no samples.</returns>
    /// <remarks>Counts into a table rented from <see cref="ArrayPool{T}.Shared"/>. Equals
    /// <see cref="Of(ReadOnlySpan{int}, ReadOnlySpan{int}, double)"/> in the same base.</remarks>
    /// <exception cref="ArgumentException">Lengths disagree, or a label is negative (the message names the index).</exception>
    /// <example><code>InformationGain.MutualInformation([0, 0, 1, 1], [1, 1, 0, 0]); // ln 2 ≈ 0.693</code></example>
    public static double MutualInformation(ReadOnlySpan<int> labelsA, ReadOnlySpan<int> labelsB, double logBase = Math.E) =>
        Counted(labelsB, labelsA, ReadOnlySpan<double>.Empty, Measure.Gain, logBase, nameof(labelsB), nameof(labelsA));

    /// <summary>
    /// The normalized mutual information I(U; V) / mean(H(U), H(V)) between two labelings, as scikit-learn's
    /// <c>normalized_mutual_info_score(labelsA, labelsB, average_method)</c>.
    /// </summary>
    /// <param name="labelsA">n labels of the first labeling, each ≥ 0.</param>
    /// <param name="labelsB">n labels of the second labeling, each ≥ 0.</param>
    /// <param name="average">Arithmetic (default, as scikit-learn), geometric, min or max mean of the two entropies.</param>
    /// <returns>NMI in [0, 1]: 1 when both labelings have a single cluster or there are no samples, 0 when the mutual
    /// information is 0, as scikit-learn.</returns>
    /// <exception cref="ArgumentException">Lengths disagree, a label is negative (the message names the index), or <paramref name="average"/> is not defined.</exception>
    /// <example><code>InformationGain.NormalizedMutualInformation([0, 0, 1, 1], [1, 1, 0, 0]); // 1</code></example>
    public static double NormalizedMutualInformation(ReadOnlySpan<int> labelsA, ReadOnlySpan<int> labelsB, MutualInformationAverage average = MutualInformationAverage.Arithmetic)
    {
        CheckAverage(average);
        return Counted(labelsB, labelsA, ReadOnlySpan<double>.Empty, (Measure)((int)Measure.Normalized + (int)average), Math.E, nameof(labelsB), nameof(labelsA));
    }

    /// <summary>
    /// The threshold t of a numeric feature that maximises the information gain of the split x ≤ t, as a
    /// <c>DecisionTreeClassifier(criterion="entropy")</c> stump. Sorts once, then scans once (O(n log n)).
    /// </summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="feature">n feature values; NaN is rejected, ±∞ are allowed.</param>
    /// <param name="labels">n class labels, each ≥ 0.</param>
    /// <param name="sampleWeights">n weights, finite and ≥ 0, or empty (default) for weight 1 each.</param>
    /// <param name="logBase">The base of the logarithm: <see cref="Math.E"/> (default) for nats; 2 for bits, the unit of scikit-learn's impurity decrease with <c>criterion="entropy"</c>.</param>
    /// <returns>The best split (see <see cref="ThresholdSplit{T}"/>): candidate thresholds are midpoints between consecutive
    /// distinct sorted values; among equal gains the smallest threshold wins. No split (NaN threshold) when fewer than two
    /// distinct values exist or every weight is zero.</returns>
    /// <remarks>Rents n keys, n ints and 4 × classes doubles from <see cref="ArrayPool{T}.Shared"/> (with weights also n
    /// (label, weight) pairs), and the sort's two buffers of n entries. The sort is a stable radix sort, several times
    /// faster than a comparison sort at n = 10⁶; −0 and +0 are one value. Label codes far above n (say [0, 5·10⁷] or int.MaxValue) are first relabelled to 0 … k − 1
    /// for the k distinct labels, so memory is O(n) whatever the codes.</remarks>
    /// <exception cref="ArgumentException">Lengths disagree, a feature value is NaN, a label is negative, or a weight is out
    /// of range (the message names the index).</exception>
    /// <example><code>InformationGain.BestThreshold([1.0, 2, 3, 4], [0, 0, 1, 1], logBase: 2); // Threshold 2.5, Gain 1 bit, LeftCount 2</code></example>
    /// <seealso cref="BestThresholdSorted{T}"/>
    public static ThresholdSplit<T> BestThreshold<T>(ReadOnlySpan<T> feature, ReadOnlySpan<int> labels, ReadOnlySpan<T> sampleWeights = default, double logBase = Math.E)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Guard.FloatOrDouble<T>();
        int n = feature.Length;
        Guard.SameLength(n, labels.Length, nameof(labels), nameof(feature));
        long classes = Math.Max(CountOf(labels, nameof(labels)), 1);
        int[]? compact = null;
        if (classes > Math.Max(256, 2L * n))
        {
            // Large or sparse label codes: relabel to 0 … k − 1 (k ≤ n distinct), so scratch is O(n) whatever the codes.
            compact = ArrayPool<int>.Shared.Rent(n);
            classes = Compact(labels, compact.AsSpan(0, n));
            labels = compact.AsSpan(0, n);
        }
        int classCount = (int)classes;
        T[] keys = ArrayPool<T>.Shared.Rent(n);
        int[] order = ArrayPool<int>.Shared.Rent(n);
        double[] scratch = ArrayPool<double>.Shared.Rent((int)ThresholdScan.ScratchLength(classCount));
        try
        {
            return BestThreshold(feature, labels, sampleWeights, classCount, keys, order, scratch, logBase);
        }
        finally
        {
            ArrayPool<double>.Shared.Return(scratch);
            ArrayPool<int>.Shared.Return(order);
            ArrayPool<T>.Shared.Return(keys);
            if (compact is not null)
            {
                ArrayPool<int>.Shared.Return(compact);
            }
        }
    }

    /// <summary>Writes each label's rank among the distinct labels into <paramref name="dense"/>; returns the number of distinct labels (≥ 1).</summary>
    private static int Compact(ReadOnlySpan<int> labels, Span<int> dense)
    {
        int[] rented = ArrayPool<int>.Shared.Rent(labels.Length);
        try
        {
            Span<int> distinct = rented.AsSpan(0, labels.Length);
            labels.CopyTo(distinct);
            distinct.Sort();
            int m = 0;
            for (int i = 0; i < distinct.Length; i++)
            {
                if (m == 0 || distinct[i] != distinct[m - 1])
                {
                    distinct[m++] = distinct[i];
                }
            }
            for (int i = 0; i < labels.Length; i++)
            {
                dense[i] = distinct[..m].BinarySearch(labels[i]);
            }
            return Math.Max(m, 1);
        }
        finally
        {
            ArrayPool<int>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// The best threshold of a numeric feature (as <see cref="BestThreshold{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, ReadOnlySpan{T}, double)"/>)
    /// with the scratch space from the caller. The sort is a stable radix sort on the keys' bits that carries each
    /// sample's label (and weight) along, so that the scan reads sequentially; from 256 samples on it rents two buffers of
    /// n (key, label[, weight]) entries from <see cref="ArrayPool{T}.Shared"/> (returned before it returns; no allocation
    /// once the pool holds them), and the weighted search also rents n (label, weight) pairs.
    /// </summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="feature">n feature values; NaN is rejected.</param>
    /// <param name="labels">n class labels, each in [0, <paramref name="classCount"/>).</param>
    /// <param name="sampleWeights">n weights, finite and ≥ 0, or empty for weight 1 each.</param>
    /// <param name="classCount">The number of classes, positive.</param>
    /// <param name="sortedFeature">Scratch of at least n elements (receives the sorted feature values).</param>
    /// <param name="order">Scratch of at least n ints (its contents afterwards are unspecified; the weighted search does not use it).</param>
    /// <param name="classScratch">Scratch of at least 4 × <paramref name="classCount"/> doubles.</param>
    /// <param name="logBase">The base of the logarithm: <see cref="Math.E"/> (default) for nats, 2 for bits.</param>
    /// <returns>The best split; see <see cref="ThresholdSplit{T}"/>.</returns>
    /// <exception cref="ArgumentException">As the renting overload, or a scratch span is too short.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classCount"/> is not positive.</exception>
    /// <example>
    /// <code>
    /// double[] x = [64, 65, 68, 69, 70, 71];
    /// int[] y = [1, 0, 1, 1, 1, 0];
    /// const int classCount = 2;
    /// int n = x.Length;
    /// var keys = new double[n]; var order = new int[n]; var classScratch = new double[4 * classCount]; // reused across features
    /// var split = InformationGain.BestThreshold(x, y, ReadOnlySpan&lt;double&gt;.Empty, classCount, keys, order, classScratch);
    /// </code>
    /// </example>
    public static ThresholdSplit<T> BestThreshold<T>(ReadOnlySpan<T> feature, ReadOnlySpan<int> labels, ReadOnlySpan<T> sampleWeights, int classCount, Span<T> sortedFeature, Span<int> order, Span<double> classScratch, double logBase = Math.E)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double scale = CheckSplitSearch(feature, labels, classCount, logBase);
        int n = feature.Length;
        CheckWeights(sampleWeights, n);
        CheckRange(labels, classCount, nameof(labels));
        Guard.DestinationLength(n, sortedFeature.Length, nameof(sortedFeature));
        Guard.DestinationLength(n, order.Length, nameof(order));
        CheckClassScratch(classScratch, classCount);
        for (int i = 0; i < n; i++)
        {
            if (T.IsNaN(feature[i]))
            {
                throw new ArgumentException($"feature[{i}] is NaN; NaN feature values are rejected (drop or impute them first).", nameof(feature));
            }
        }
        Span<T> keys = sortedFeature[..n];
        feature.CopyTo(keys);
        ScanResult result;
        if (sampleWeights.IsEmpty)
        {
            // Without weights the label is all a position needs: sort it along, and the scan reads sequentially.
            Span<int> sortedLabels = order[..n];
            labels.CopyTo(sortedLabels);
            RadixSort.Sort(keys, sortedLabels);
            var samples = new SortedLabels<T>(keys, sortedLabels);
            result = ThresholdScan.Run<T, SortedLabels<T>>(ref samples, classCount, classScratch);
        }
        else
        {
            // Label and weight travel with the key through the sort, so the scan reads sequentially: sorting an index and
            // gathering label and weight afterwards costs two cache misses per sample at n = 10⁶.
            LabelWeight<T>[] rented = ArrayPool<LabelWeight<T>>.Shared.Rent(n);
            try
            {
                Span<LabelWeight<T>> payload = rented.AsSpan(0, n);
                for (int i = 0; i < n; i++)
                {
                    payload[i] = new LabelWeight<T>(labels[i], sampleWeights[i]);
                }
                RadixSort.Sort(keys, payload);
                var samples = new SortedWeighted<T>(keys, payload);
                result = ThresholdScan.Run<T, SortedWeighted<T>>(ref samples, classCount, classScratch);
            }
            finally
            {
                ArrayPool<LabelWeight<T>>.Shared.Return(rented);
            }
        }
        return Split(keys, default, result, scale);
    }

    /// <summary>
    /// The best threshold over the samples <paramref name="order"/> lists, already in ascending order of feature value:
    /// a tree builder sorts each feature once and, at every node, passes the node's samples in that order (for example
    /// after a stable partition), so no sort is repeated. One scan, O(m) for m listed samples; allocates nothing.
    /// </summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="feature">The feature values of all samples; the listed ones must not be NaN.</param>
    /// <param name="labels">The class labels of all samples (same length); the listed ones in [0, <paramref name="classCount"/>).</param>
    /// <param name="sampleWeights">Weights of all samples (same length; the listed ones finite, ≥ 0), or empty for weight 1 each.</param>
    /// <param name="order">Indices into <paramref name="feature"/> of the samples to split, such that the feature values are
    /// non-decreasing. An index may repeat (a bootstrap sample then counts twice).</param>
    /// <param name="classCount">The number of classes, positive.</param>
    /// <param name="classScratch">Scratch of at least 4 × <paramref name="classCount"/> doubles.</param>
    /// <param name="logBase">The base of the logarithm: <see cref="Math.E"/> (default) for nats, 2 for bits.</param>
    /// <returns>The best split; <see cref="ThresholdSplit{T}.LeftCount"/> is the number of leading entries of
    /// <paramref name="order"/> that go left.</returns>
    /// <exception cref="ArgumentException">Lengths disagree, an index is out of range, the listed feature values are not in
    /// ascending order or are NaN, a label or weight is out of range (the message names the position in
    /// <paramref name="order"/> and the sample index), or <paramref name="classScratch"/> is too short.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classCount"/> is not positive.</exception>
    /// <example>
    /// <code>
    /// double[] x = [70, 64, 71, 65, 69, 68];
    /// int[] y = [1, 1, 0, 0, 1, 1];
    /// const int classCount = 2;
    /// var classScratch = new double[4 * classCount];
    /// int[] order = [.. Enumerable.Range(0, x.Length)];
    /// Array.Sort(x.ToArray(), order);                     // once per feature
    /// var split = InformationGain.BestThresholdSorted(x, y, ReadOnlySpan&lt;double&gt;.Empty, order, classCount, classScratch);
    /// </code>
    /// </example>
    public static ThresholdSplit<T> BestThresholdSorted<T>(ReadOnlySpan<T> feature, ReadOnlySpan<int> labels, ReadOnlySpan<T> sampleWeights, ReadOnlySpan<int> order, int classCount, Span<double> classScratch, double logBase = Math.E)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double scale = CheckSplitSearch(feature, labels, classCount, logBase);
        int n = feature.Length;
        if (!sampleWeights.IsEmpty)
        {
            Guard.SameLength(n, sampleWeights.Length, nameof(sampleWeights), nameof(feature));
        }
        CheckClassScratch(classScratch, classCount);
        for (int p = 0; p < order.Length; p++)
        {
            int i = order[p];
            if ((uint)i >= (uint)n)
            {
                throw new ArgumentOutOfRangeException(nameof(order), i, $"order[{p}] is {i}, outside [0, {n}).");
            }
            if (T.IsNaN(feature[i]))
            {
                throw new ArgumentException($"feature[{i}] (order[{p}]) is NaN; NaN feature values are rejected.", nameof(feature));
            }
            if (p > 0 && feature[i] < feature[order[p - 1]])
            {
                throw new ArgumentException($"order is not sorted by feature value: order[{p}] = {i} has feature {feature[i]}, below {feature[order[p - 1]]} at order[{p - 1}].", nameof(order));
            }
            if ((uint)labels[i] >= (uint)classCount)
            {
                throw new ArgumentException($"labels[{i}] (order[{p}]) is {labels[i]}, outside [0, {classCount}).", nameof(labels));
            }
            if (!sampleWeights.IsEmpty && !(sampleWeights[i] >= T.Zero && T.IsFinite(sampleWeights[i])))
            {
                throw new ArgumentException($"sampleWeights[{i}] (order[{p}]) is {sampleWeights[i]}; weights must be finite and ≥ 0.", nameof(sampleWeights));
            }
        }
        var samples = new Indexed<T>(feature, order, labels, sampleWeights);
        return Split(feature, order, ThresholdScan.Run<T, Indexed<T>>(ref samples, classCount, classScratch), scale);
    }

    /// <summary>Checks the arguments both threshold searches share; returns the scale of <paramref name="logBase"/>.</summary>
    private static double CheckSplitSearch<T>(ReadOnlySpan<T> feature, ReadOnlySpan<int> labels, int classCount, double logBase)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Guard.FloatOrDouble<T>();
        double scale = LogScale(logBase);
        Guard.SameLength(feature.Length, labels.Length, nameof(labels), nameof(feature));
        CheckClassCount(classCount);
        return scale;
    }

    /// <summary>
    /// The split a scan found: the threshold halfway between the last sample on the left and the first on the right, in
    /// sorted order (<paramref name="feature"/> itself when <paramref name="order"/> is empty, else its <paramref name="order"/>).
    /// </summary>
    private static ThresholdSplit<T> Split<T>(ReadOnlySpan<T> feature, ReadOnlySpan<int> order, ScanResult result, double scale)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int left = result.LastLeft;
        if (left < 0)
        {
            return new ThresholdSplit<T>(T.NaN, T.Zero, 0);
        }
        T below = order.IsEmpty ? feature[left] : feature[order[left]];
        T above = order.IsEmpty ? feature[left + 1] : feature[order[left + 1]];
        return new ThresholdSplit<T>(Midpoint(below, above), T.CreateTruncating(result.GainNats * scale), left + 1);
    }

    /// <summary>scikit-learn's rule: a/2 + b/2 (in double), or a when that rounds up to b (adjacent values, or b = +∞).</summary>
    private static T Midpoint<T>(T a, T b)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T t = T.CreateTruncating(double.CreateTruncating(a) / 2 + double.CreateTruncating(b) / 2);
        return t >= b ? a : t;
    }

    private enum Measure
    {
        Gain,
        ConditionalEntropy,
        GainRatio,
        Normalized,
    }

    private static double Counted<T>(ReadOnlySpan<int> labels, ReadOnlySpan<int> featureValues, ReadOnlySpan<T> sampleWeights, Measure measure, double logBase, string labelsName = "labels", string featureName = "featureValues")
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Guard.FloatOrDouble<T>();
        double scale = LogScale(logBase);
        Guard.SameLength(labels.Length, featureValues.Length, featureName, labelsName);
        CheckWeights(sampleWeights, labels.Length);
        // An empty input still gets a 1 × 1 table, so that every measure takes its empty-table value.
        long classCount = Math.Max(CountOf(labels, labelsName), 1);
        long featureValueCount = Math.Max(CountOf(featureValues, featureName), 1);
        TableEntropies e = Dense(classCount * featureValueCount, labels.Length)
            ? DenseEntropies(labels, featureValues, sampleWeights, (int)classCount, (int)featureValueCount)
            : SparseEntropies(labels, featureValues, sampleWeights);
        return measure switch
        {
            Measure.Gain => e.Gain * scale,
            Measure.ConditionalEntropy => (e.Labels - e.Gain) * scale,
            Measure.GainRatio => e.GainRatio,
            _ => e.Normalized((MutualInformationAverage)(measure - Measure.Normalized)),
        };
    }

    /// <summary>
    /// Whether counting into a dense table of <paramref name="size"/> entries is reasonable for n samples. Beyond it
    /// (large or sparse codes such as [0, 5·10⁷] or int.MaxValue), counts come from sorting the samples instead, with
    /// memory proportional to n whatever the values.
    /// </summary>
    private static bool Dense(long size, int n) => size <= Math.Max(1L << 16, 4L * n);

    private static TableEntropies DenseEntropies<T>(ReadOnlySpan<int> labels, ReadOnlySpan<int> featureValues, ReadOnlySpan<T> sampleWeights, int classCount, int featureValueCount)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int size = classCount * featureValueCount;
        double[] rented = ArrayPool<double>.Shared.Rent(size);
        try
        {
            Span<double> table = rented.AsSpan(0, size);
            Count(labels, featureValues, sampleWeights, classCount, table);
            return Entropies<double>(table, classCount, "table");
        }
        finally
        {
            ArrayPool<double>.Shared.Return(rented);
        }
    }

    /// <summary>H(Y), H(X) and IG from the samples sorted by (x, y) and then by y: no table, O(n) memory, O(n log n) time.</summary>
    private static TableEntropies SparseEntropies<T>(ReadOnlySpan<int> labels, ReadOnlySpan<int> featureValues, ReadOnlySpan<T> sampleWeights)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = labels.Length;
        long[] keyArray = ArrayPool<long>.Shared.Rent(n);
        double[] countArray = ArrayPool<double>.Shared.Rent(n);
        double[]? weightArray = sampleWeights.IsEmpty ? null : ArrayPool<double>.Shared.Rent(n);
        try
        {
            Span<long> keys = keyArray.AsSpan(0, n);
            Span<double> weights = weightArray is null ? default : weightArray.AsSpan(0, n);
            double total = sampleWeights.IsEmpty ? n : 0;
            for (int i = 0; i < n; i++)
            {
                keys[i] = ((long)featureValues[i] << 32) | (uint)labels[i];
                if (!weights.IsEmpty)
                {
                    weights[i] = double.CreateTruncating(sampleWeights[i]);
                    total += weights[i];
                }
            }
            if (total == 0)
            {
                return new TableEntropies(0, 0, 0, Empty: true);
            }
            SortRuns(keys, weights);
            Span<double> counts = countArray.AsSpan(0, n);
            double joint = RunEntropy(keys, weights, counts, total, shift: 0);
            double features = RunEntropy(keys, weights, counts, total, shift: 32);
            for (int i = 0; i < n; i++)
            {
                keys[i] &= uint.MaxValue;
            }
            SortRuns(keys, weights);
            double classes = RunEntropy(keys, weights, counts, total, shift: 0);
            return new TableEntropies(classes, features, Math.Clamp(classes + features - joint, 0, classes), Empty: false);
        }
        finally
        {
            if (weightArray is not null)
            {
                ArrayPool<double>.Shared.Return(weightArray);
            }
            ArrayPool<double>.Shared.Return(countArray);
            ArrayPool<long>.Shared.Return(keyArray);
        }
    }

    private static void SortRuns(Span<long> keys, Span<double> weights)
    {
        if (weights.IsEmpty)
        {
            keys.Sort();
        }
        else
        {
            keys.Sort(weights);
        }
    }

    /// <summary>−Σ p ln p over the runs of equal <c>key &gt;&gt; shift</c> in sorted keys, p = run weight / total.</summary>
    private static double RunEntropy(ReadOnlySpan<long> keys, ReadOnlySpan<double> weights, Span<double> counts, double total, int shift)
    {
        int runs = 0;
        for (int i = 0; i < keys.Length;)
        {
            long key = keys[i] >> shift;
            double count = 0;
            do
            {
                count += weights.IsEmpty ? 1 : weights[i];
                i++;
            }
            while (i < keys.Length && keys[i] >> shift == key);
            counts[runs++] = count;
        }
        return Math.Max(-InformationKernels.SumXLogX<double>(counts[..runs], total), 0);
    }

    private static void Count<T, TTable>(ReadOnlySpan<int> labels, ReadOnlySpan<int> featureValues, ReadOnlySpan<T> sampleWeights, int classCount, Span<TTable> table)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TTable : unmanaged, IFloatingPointIeee754<TTable>
    {
        table.Clear();
        for (int i = 0; i < labels.Length; i++)
        {
            table[featureValues[i] * classCount + labels[i]] += sampleWeights.IsEmpty ? TTable.One : TTable.CreateTruncating(sampleWeights[i]);
        }
    }

    /// <summary>H(Y), H(X) and IG = H(Y) + H(X) − H(X, Y) of a table, in nats.</summary>
    private readonly record struct TableEntropies(double Labels, double Features, double Gain, bool Empty)
    {
        public double GainRatio => Features > 0 ? Math.Clamp(Gain / Features, 0, 1) : 0;

        public double Normalized(MutualInformationAverage average)
        {
            if (Empty || (Labels == 0 && Features == 0))
            {
                return 1;
            }
            if (Gain == 0 || Labels == 0 || Features == 0)
            {
                return 0;
            }
            double mean = average switch
            {
                MutualInformationAverage.Geometric => Math.Sqrt(Labels * Features),
                MutualInformationAverage.Min => Math.Min(Labels, Features),
                MutualInformationAverage.Max => Math.Max(Labels, Features),
                _ => (Labels + Features) / 2,
            };
            return Math.Clamp(Gain / mean, 0, 1);
        }
    }

    /// <summary>Checks <typeparamref name="T"/> and the table's shape, then takes its entropies (in nats) in one pass.</summary>
    private static TableEntropies Entropies<T>(ReadOnlySpan<T> table, int classCount, string name)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Guard.FloatOrDouble<T>();
        int rows = Guard.Rows(table.Length, classCount, name);
        double[]? rented = classCount > StackClasses ? ArrayPool<double>.Shared.Rent(classCount) : null;
        Span<double> columns = rented is null ? stackalloc double[StackClasses] : rented;
        columns = columns[..classCount];
        columns.Clear();
        try
        {
            double total = 0;
            for (int r = 0; r < rows; r++)
            {
                for (int c = 0; c < classCount; c++)
                {
                    int i = r * classCount + c;
                    T v = table[i];
                    if (!(v >= T.Zero && T.IsFinite(v)))
                    {
                        throw new ArgumentException($"{name}[{i}] is {v}; counts and weights must be finite and ≥ 0.", name);
                    }
                    double d = double.CreateTruncating(v);
                    columns[c] += d;
                    total += d;
                }
            }
            if (total == 0)
            {
                return new TableEntropies(0, 0, 0, Empty: true);
            }
            double labels = Math.Max(-InformationKernels.SumXLogX<double>(columns, total), 0);
            double joint = -double.CreateTruncating(InformationKernels.SumXLogX(table, T.CreateTruncating(total)));
            double features = 0;
            for (int r = 0; r < rows; r++)
            {
                double p = 0;
                foreach (T v in table.Slice(r * classCount, classCount))
                {
                    p += double.CreateTruncating(v);
                }
                p /= total;
                features -= p > 0 ? p * Math.Log(p) : 0;
            }
            features = Math.Max(features, 0);
            return new TableEntropies(labels, features, Math.Clamp(labels + features - joint, 0, labels), Empty: false);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<double>.Shared.Return(rented);
            }
        }
    }

    private static double LogScale(double logBase)
    {
        if (!(logBase > 0 && logBase != 1 && double.IsFinite(logBase)))
        {
            throw new ArgumentOutOfRangeException(nameof(logBase), logBase, "The base of the logarithm must be positive, finite and not 1 (2 for bits, Math.E for nats).");
        }
        return logBase == Math.E ? 1 : 1 / Math.Log(logBase);
    }

    private static void CheckClassCount(int classCount)
    {
        if (classCount <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(classCount), classCount, "The class count must be positive.");
        }
    }

    /// <summary>4 × classCount as a long: 600,000,000 classes need more than an int (and an array) can hold.</summary>
    private static void CheckClassScratch(Span<double> classScratch, int classCount)
    {
        long needed = ThresholdScan.ScratchLength(classCount);
        if (classScratch.Length < needed)
        {
            string hint = needed > Array.MaxLength
                ? " That is more than an array can hold: relabel the classes to 0 … k − 1 for the k distinct labels (the overload without scratch does this)."
                : "";
            throw new ArgumentException($"classScratch is too short: it has {classScratch.Length} elements and 4 × classCount = {needed} are needed.{hint}", nameof(classScratch));
        }
    }

    private static void CheckAverage(MutualInformationAverage average)
    {
        if (average is < MutualInformationAverage.Arithmetic or > MutualInformationAverage.Max)
        {
            throw new ArgumentException($"{average} is not a MutualInformationAverage.", nameof(average));
        }
    }

    /// <summary>Checks values ≥ 0 and returns max + 1 (0 when empty); a long, as int.MaxValue + 1 does not fit an int.</summary>
    private static long CountOf(ReadOnlySpan<int> values, string name)
    {
        long max = -1;
        for (int i = 0; i < values.Length; i++)
        {
            if (values[i] < 0)
            {
                throw new ArgumentException($"{name}[{i}] is {values[i]}; labels and feature values must be ≥ 0.", name);
            }
            max = Math.Max(max, values[i]);
        }
        return max + 1;
    }

    private static void CheckRange(ReadOnlySpan<int> values, int count, string name)
    {
        for (int i = 0; i < values.Length; i++)
        {
            if ((uint)values[i] >= (uint)count)
            {
                throw new ArgumentException($"{name}[{i}] is {values[i]}, outside [0, {count}).", name);
            }
        }
    }

    private static void CheckWeights<T>(ReadOnlySpan<T> sampleWeights, int length)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!sampleWeights.IsEmpty)
        {
            Guard.SameLength(length, sampleWeights.Length, nameof(sampleWeights), "labels");
            CheckedSum(sampleWeights, nameof(sampleWeights));
        }
    }

    private static double CheckedSum<T>(ReadOnlySpan<T> weights, string name)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double total = 0;
        for (int i = 0; i < weights.Length; i++)
        {
            if (!(weights[i] >= T.Zero && T.IsFinite(weights[i])))
            {
                throw new ArgumentException($"{name}[{i}] is {weights[i]}; weights must be finite and ≥ 0.", name);
            }
            total += double.CreateTruncating(weights[i]);
        }
        return total;
    }

    private readonly ref struct SortedLabels<T>(ReadOnlySpan<T> keys, ReadOnlySpan<int> labels) : ISortedSamples<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly ReadOnlySpan<T> _keys = keys;
        private readonly ReadOnlySpan<int> _labels = labels;

        public int Count => _keys.Length;

        public T Key(int position) => _keys[position];

        public int Label(int position) => _labels[position];

        public double Weight(int position) => 1.0;
    }

    /// <summary>A sample's label and weight, sorted along with its key.</summary>
    private readonly record struct LabelWeight<T>(int Label, T Weight)
        where T : unmanaged;

    private readonly ref struct SortedWeighted<T>(ReadOnlySpan<T> keys, ReadOnlySpan<LabelWeight<T>> payload) : ISortedSamples<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly ReadOnlySpan<T> _keys = keys;
        private readonly ReadOnlySpan<LabelWeight<T>> _payload = payload;

        public int Count => _keys.Length;

        public T Key(int position) => _keys[position];

        public int Label(int position) => _payload[position].Label;

        public double Weight(int position) => double.CreateTruncating(_payload[position].Weight);
    }

    private readonly ref struct Indexed<T>(ReadOnlySpan<T> feature, ReadOnlySpan<int> order, ReadOnlySpan<int> labels, ReadOnlySpan<T> weights) : ISortedSamples<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly ReadOnlySpan<T> _feature = feature;
        private readonly ReadOnlySpan<int> _order = order;
        private readonly ReadOnlySpan<int> _labels = labels;
        private readonly ReadOnlySpan<T> _weights = weights;

        public int Count => _order.Length;

        public T Key(int position) => _feature[_order[position]];

        public int Label(int position) => _labels[_order[position]];

        public double Weight(int position) => _weights.IsEmpty ? 1.0 : double.CreateTruncating(_weights[_order[position]]);
    }
}
