using System.Numerics;
using System.Text.Json;
using Losses.Kernels;

namespace Losses;

/// <summary>
/// Compares a model Q with a reference model P over the same tokens, as llama.cpp's <c>perplexity --kl-divergence</c>
/// (a quantised model against its original, a student against its teacher): per token KL(P ‖ Q) =
/// Σ_c P_c (log P_c − log Q_c) with P = softmax(reference logits), Q = softmax(logits), whose mean, standard error, maximum
/// and percentiles (99.9 % … 0.1 %, minimum) are reported; how often both models put the same class on top; the difference
/// of the target's log-probability (mean ln(PPL(Q)/PPL(P))) and of its probability (Δp = Q(t) − P(t): mean, RMS, maximum);
/// both perplexities, their ratio and difference, each with its uncertainty computed as llama.cpp does (using the
/// covariance of the two models' per-token losses).
/// </summary>
/// <remarks>
/// <para><b>Per token</b>: one online pass over both rows (two exps per element pair, each element read once after a cheap
/// max pass over the first 2048 classes) for both maxima, both sums of exp and the divergence's weighted sum
/// W = Σ e^(p − M_p)·((p − q) − δ), with δ the difference of the two maxima (so KL = W/S_p − … keeps its digits when the
/// models differ by about a constant, and is 0 for identical models), and whether the argmax indices agree (first index
/// of the maximum, as torch.argmax, by a vectorised search); the logs and exps that turn these into the figures are done
/// in double for the whole batch at once (vectorised), and each sum takes the batch's column of values in one call. <b>Accuracy</b> (float): per-token KL and losses within about
/// 2e-6 absolute of float64 (tested against PyTorch, and against float64 on rows of 5000 classes with masked classes,
/// ramps and ties); each rise of a lane's running maximum after the first 2048 classes rescales its sums with one
/// rounding, so a row whose logits rise at nearly every class (a sorted row) can lose up to k·2⁻²⁴ relative for k rises
/// per lane (random logits rise O(log C) times). <b>Mixed precision</b>: Half or bfloat16 logits (a quantised model against a float original, or both
/// 16-bit) are widened exactly in the kernel's loads, so the state is bitwise that of the float overload on the widened
/// values.</para>
/// <para><b>Exact merge</b>: all sums are exact and rounded once when read; the per-token divergences are kept exactly
/// while there are at most <see cref="PercentileCapacity"/> of them (percentiles are then exact), beyond that in a
/// log-linear histogram whose percentiles are within 2⁻⁸ ≈ 0.39 % relative (<see cref="ModelComparisonResult.PercentileRelativeError"/>).
/// Either way, the same tokens give bitwise the same state and result for any split into batches, threads or processes
/// and any order of <see cref="Merge"/>.</para>
/// <para><b>NaN</b>: a token with a NaN or +∞ logit in either model is left out and counted in
/// <see cref="ModelComparisonResult.NonFiniteCount"/>. <b>Bad input</b> throws before anything is accumulated, as
/// <see cref="PerplexityAccumulator"/>.</para>
/// <para>Not thread-safe: use one comparison per thread (or <c>maxDegreeOfParallelism</c> within a batch) and <see cref="Merge"/> them.</para>
/// </remarks>
/// <example>
/// <code>
/// var compare = new ModelComparison(classCount: 4);
/// float[] referenceLogits = [2f, 0f, 0f, 0f, 0f, 1f, 0f, 0f];          // 2 tokens × 4 classes
/// float[] quantisedLogits = [2f, 0.1f, 0f, 0f, 0f, 1f, 0.1f, 0f];
/// int[] targets = [0, 1];
/// compare.Add&lt;float&gt;(referenceLogits, quantisedLogits, targets);   // per batch
/// Console.WriteLine(compare.ToResult().ToTable());                     // llama.cpp-style statistics
/// </code>
/// </example>
/// <seealso cref="PerplexityAccumulator"/>
/// <seealso cref="KLDivergence"/>
public sealed class ModelComparison : IPairSink
{
    /// <summary>The default number of per-token divergences kept exactly (8 MB).</summary>
    public const int DefaultPercentileCapacity = 1 << 20;

    private static readonly double[] Fractions = [0.999, 0.99, 0.95, 0.90, 0.5, 0.10, 0.05, 0.01, 0.001];

    private readonly TokenCounts _counts;
    private readonly ExactSum _loss = new();
    private readonly ExactSum _lossSquare = new();
    private readonly ExactSum _referenceLoss = new();
    private readonly ExactSum _referenceLossSquare = new();
    private readonly ExactSum _lossProduct = new();
    private readonly ExactSum _divergence = new();
    private readonly ExactSum _divergenceSquare = new();
    private readonly ExactSum _probabilityDifference = new();
    private readonly ExactSum _probabilityDifferenceSquare = new();
    private readonly ExactSum _probabilityDifferenceFourth = new();
    private QuantileSketch _divergences;
    private double _maxProbabilityDifference;
    private long _sameTop;

    /// <summary>An empty comparison.</summary>
    /// <param name="classCount">The vocabulary size C of both models.</param>
    /// <param name="ignoreIndex">Rows with this target are skipped.</param>
    /// <param name="percentileCapacity">How many per-token divergences to keep exactly (8 bytes each) before switching to the histogram.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classCount"/> is not positive or <paramref name="percentileCapacity"/> is negative.</exception>
    public ModelComparison(int classCount, int ignoreIndex = -100, int percentileCapacity = DefaultPercentileCapacity)
    {
        _counts = new TokenCounts(classCount, ignoreIndex);
        ArgumentOutOfRangeException.ThrowIfNegative(percentileCapacity);
        PercentileCapacity = percentileCapacity;
        _divergences = new QuantileSketch(percentileCapacity);
    }

    /// <summary>The vocabulary size C.</summary>
    public int ClassCount => _counts.ClassCount;

    /// <summary>The target value whose rows are skipped.</summary>
    public int IgnoreIndex => _counts.IgnoreIndex;

    /// <summary>How many per-token divergences are kept exactly.</summary>
    public int PercentileCapacity { get; }

    /// <summary>The number of tokens counted so far.</summary>
    public long TokenCount => _counts.Tokens;

    /// <summary>Adds a batch scored by both models, with int targets.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="referenceLogits">rows × C logits of the reference model P.</param>
    /// <param name="logits">rows × C logits of the compared model Q, for the same tokens.</param>
    /// <param name="targets">One target per row (the next token), or the ignore index.</param>
    /// <param name="maxDegreeOfParallelism">1 (default), n threads, or −1 for all cores; the state is bitwise the same for any thread count.</param>
    /// <exception cref="ArgumentException">A length is not targets × C, or the two logit sets differ in length.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A target is outside [0, C) and not the ignore index (row and value named), or maxDegreeOfParallelism is 0 or below −1.</exception>
    /// <example>
    /// <code>
    /// var compare = new ModelComparison(classCount: 4);
    /// float[] floatModelLogits = [2f, 0f, 0f, 0f, 0f, 1f, 0f, 0f]; // 2 tokens × 4 classes
    /// float[] halfModelLogits = [2f, 0.1f, 0f, 0f, 0f, 1f, 0.1f, 0f];
    /// int[] targets = [0, 1];
    /// compare.Add&lt;float&gt;(floatModelLogits, halfModelLogits, targets);
    /// </code>
    /// </example>
    public void Add<T>(ReadOnlySpan<T> referenceLogits, ReadOnlySpan<T> logits, ReadOnlySpan<int> targets, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        _counts.AddPair<T, T, T, int>(referenceLogits, logits, targets, this, maxDegreeOfParallelism, nameof(referenceLogits));

    /// <summary>Adds a batch scored by both models, with long (int64) targets.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="referenceLogits">rows × C logits of the reference model P.</param>
    /// <param name="logits">rows × C logits of the compared model Q, for the same tokens.</param>
    /// <param name="targets">One target per row, or the ignore index.</param>
    /// <param name="maxDegreeOfParallelism">1 (default), n threads, or −1 for all cores; the state is bitwise the same for any thread count.</param>
    /// <exception cref="ArgumentException">A length is not targets × C, or the two logit sets differ in length.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A target is outside [0, C) and not the ignore index (row and value named), or maxDegreeOfParallelism is 0 or below −1.</exception>
    /// <example>
    /// <code>
    /// var compare = new ModelComparison(classCount: 4);
    /// float[] floatModelLogits = [2f, 0f, 0f, 0f];
    /// float[] halfModelLogits = [2f, 0.1f, 0f, 0f];
    /// long[] tokenIds = [0];
    /// compare.Add&lt;float&gt;(floatModelLogits, halfModelLogits, tokenIds);
    /// </code>
    /// </example>
    public void Add<T>(ReadOnlySpan<T> referenceLogits, ReadOnlySpan<T> logits, ReadOnlySpan<long> targets, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        _counts.AddPair<T, T, T, long>(referenceLogits, logits, targets, this, maxDegreeOfParallelism, nameof(referenceLogits));

    /// <summary>Adds a batch scored by both models as Half logits, with long targets: widened to float exactly in the loads (no copy; arithmetic in float), so the state is bitwise that of the float logits.</summary>
    /// <param name="referenceLogits">rows × C logits of the reference model P.</param>
    /// <param name="logits">rows × C logits of the compared model Q, for the same tokens.</param>
    /// <param name="targets">One target per row, or the ignore index.</param>
    /// <param name="maxDegreeOfParallelism">1 (default), n threads, or −1 for all cores; the state is bitwise the same for any thread count.</param>
    /// <exception cref="ArgumentException">A length is not targets × C.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A target is outside [0, C) and not the ignore index (row and value named), or maxDegreeOfParallelism is 0 or below −1.</exception>
    /// <example>
    /// <code>
    /// var compare = new ModelComparison(classCount: 4);
    /// Half[] halfReferenceLogits = [(Half)2f, (Half)0f, (Half)0f, (Half)0f];
    /// Half[] halfLogits = [(Half)2f, (Half)0.5f, (Half)0f, (Half)0f];
    /// long[] tokenIds = [0];
    /// compare.Add(halfReferenceLogits, halfLogits, tokenIds);
    /// </code>
    /// </example>
    public void Add(ReadOnlySpan<Half> referenceLogits, ReadOnlySpan<Half> logits, ReadOnlySpan<long> targets, int maxDegreeOfParallelism = 1) =>
        _counts.AddPair<float, Half, Half, long>(referenceLogits, logits, targets, this, maxDegreeOfParallelism, nameof(referenceLogits));

    /// <summary>Adds a batch scored by both models as bfloat16 logits, with long targets: widened to float exactly in the loads (no copy; arithmetic in float), so the state is bitwise that of the float logits.</summary>
    /// <param name="referenceLogits">rows × C logits of the reference model P.</param>
    /// <param name="logits">rows × C logits of the compared model Q, for the same tokens.</param>
    /// <param name="targets">One target per row, or the ignore index.</param>
    /// <param name="maxDegreeOfParallelism">1 (default), n threads, or −1 for all cores; the state is bitwise the same for any thread count.</param>
    /// <exception cref="ArgumentException">A length is not targets × C.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A target is outside [0, C) and not the ignore index (row and value named), or maxDegreeOfParallelism is 0 or below −1.</exception>
    /// <example>
    /// <code>
    /// var compare = new ModelComparison(classCount: 4);
    /// BFloat16[] bfloat16ReferenceLogits = [(BFloat16)2f, (BFloat16)0f, (BFloat16)0f, (BFloat16)0f];
    /// BFloat16[] bfloat16Logits = [(BFloat16)2f, (BFloat16)0.5f, (BFloat16)0f, (BFloat16)0f];
    /// long[] tokenIds = [0];
    /// compare.Add(bfloat16ReferenceLogits, bfloat16Logits, tokenIds);
    /// </code>
    /// </example>
    public void Add(ReadOnlySpan<BFloat16> referenceLogits, ReadOnlySpan<BFloat16> logits, ReadOnlySpan<long> targets, int maxDegreeOfParallelism = 1) =>
        _counts.AddPair<float, BFloat16, BFloat16, long>(referenceLogits, logits, targets, this, maxDegreeOfParallelism, nameof(referenceLogits));

    /// <summary>
    /// Adds a batch scored by a float reference model and a Half model (a quantised or half-precision model against its
    /// original), with long targets: the Half logits are widened to float exactly in the loads (no copy; arithmetic in
    /// float), so the state is bitwise that of the float overload on the widened values.
    /// </summary>
    /// <param name="referenceLogits">rows × C float logits of the reference model P.</param>
    /// <param name="logits">rows × C Half logits of the compared model Q, for the same tokens.</param>
    /// <param name="targets">One target per row, or the ignore index.</param>
    /// <param name="maxDegreeOfParallelism">1 (default), n threads, or −1 for all cores; the state is bitwise the same for any thread count.</param>
    /// <exception cref="ArgumentException">A length is not targets × C.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A target is outside [0, C) and not the ignore index (row and value named), or maxDegreeOfParallelism is 0 or below −1.</exception>
    /// <example>
    /// <code>
    /// var compare = new ModelComparison(classCount: 4);
    /// float[] originalLogits = [2f, 0f, 0f, 0f];
    /// Half[] halfLogits = [(Half)2f, (Half)0.5f, (Half)0f, (Half)0f];
    /// long[] tokenIds = [0];
    /// compare.Add(originalLogits, halfLogits, tokenIds);
    /// </code>
    /// </example>
    public void Add(ReadOnlySpan<float> referenceLogits, ReadOnlySpan<Half> logits, ReadOnlySpan<long> targets, int maxDegreeOfParallelism = 1) =>
        _counts.AddPair<float, float, Half, long>(referenceLogits, logits, targets, this, maxDegreeOfParallelism, nameof(referenceLogits));

    /// <summary>
    /// Adds a batch scored by a float reference model and a bfloat16 model, with long targets: the bfloat16 logits are
    /// widened to float exactly in the loads (no copy; arithmetic in float), so the state is bitwise that of the float
    /// overload on the widened values.
    /// </summary>
    /// <param name="referenceLogits">rows × C float logits of the reference model P.</param>
    /// <param name="logits">rows × C bfloat16 logits of the compared model Q, for the same tokens.</param>
    /// <param name="targets">One target per row, or the ignore index.</param>
    /// <param name="maxDegreeOfParallelism">1 (default), n threads, or −1 for all cores; the state is bitwise the same for any thread count.</param>
    /// <exception cref="ArgumentException">A length is not targets × C.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A target is outside [0, C) and not the ignore index (row and value named), or maxDegreeOfParallelism is 0 or below −1.</exception>
    /// <example>
    /// <code>
    /// var compare = new ModelComparison(classCount: 4);
    /// float[] originalLogits = [2f, 0f, 0f, 0f];
    /// BFloat16[] bfloat16Logits = [(BFloat16)2f, (BFloat16)0.5f, (BFloat16)0f, (BFloat16)0f];
    /// long[] tokenIds = [0];
    /// compare.Add(originalLogits, bfloat16Logits, tokenIds);
    /// </code>
    /// </example>
    public void Add(ReadOnlySpan<float> referenceLogits, ReadOnlySpan<BFloat16> logits, ReadOnlySpan<long> targets, int maxDegreeOfParallelism = 1) =>
        _counts.AddPair<float, float, BFloat16, long>(referenceLogits, logits, targets, this, maxDegreeOfParallelism, nameof(referenceLogits));

    unsafe void IPairSink.Add(in PairColumns figures)
    {
        // Per token: the counts, the maximum, the divergences for the percentiles; a row not counted (ignored, or NaN
        // in a figure) is zeroed in every column, so that the exact sums below can add whole columns (+0 adds nothing).
        long tokens = 0, nonFinite = 0, sameTop = 0;
        double maxDifference = _maxProbabilityDifference;
        for (int row = 0; row < figures.Stride; row++)
        {
            byte flags = figures.Flags[row];
            if ((flags & PairColumns.Counted) != 0)
            {
                double divergence = figures[PairColumns.Divergence, row];
                if (!double.IsNaN(figures[PairColumns.Loss, row]) && !double.IsNaN(figures[PairColumns.ReferenceLoss, row]) && !double.IsNaN(divergence))
                {
                    tokens++;
                    sameTop += (flags & PairColumns.SameTop) >> 1;
                    maxDifference = Math.Max(maxDifference, Math.Abs(figures[PairColumns.ProbabilityDifference, row]));
                    _divergences.Add(divergence);
                    continue;
                }
                nonFinite++;
            }
            for (int column = 0; column < PairColumns.Count; column++)
            {
                figures[column, row] = 0;
            }
        }
        _counts.Tokens += tokens;
        _counts.NonFinite += nonFinite;
        _sameTop += sameTop;
        _maxProbabilityDifference = maxDifference;
        _referenceLoss.Add(figures.Column(PairColumns.ReferenceLoss));
        _loss.Add(figures.Column(PairColumns.Loss));
        _divergence.Add(figures.Column(PairColumns.Divergence));
        _probabilityDifference.Add(figures.Column(PairColumns.ProbabilityDifference));
        _lossSquare.Add(figures.Column(PairColumns.LossSquare));
        _referenceLossSquare.Add(figures.Column(PairColumns.ReferenceLossSquare));
        _lossProduct.Add(figures.Column(PairColumns.LossProduct));
        _divergenceSquare.Add(figures.Column(PairColumns.DivergenceSquare));
        _probabilityDifferenceSquare.Add(figures.Column(PairColumns.ProbabilityDifferenceSquare));
        _probabilityDifferenceFourth.Add(figures.Column(PairColumns.ProbabilityDifferenceFourth));
    }

    /// <summary>Adds everything <paramref name="other"/> has counted; the result does not depend on the order of merges.</summary>
    /// <param name="other">A comparison of the same class count, ignore index and percentile capacity; unchanged. It may be
    /// this comparison itself: its counts are then added once more, as merging a copy would.</param>
    /// <exception cref="ArgumentException">The configurations differ (named); nothing is changed.</exception>
    /// <example>
    /// <code>
    /// var total = new ModelComparison(classCount: 4);
    /// var shard = new ModelComparison(classCount: 4); // scored elsewhere, same configuration
    /// shard.Add&lt;float&gt;([2f, 0f, 0f, 0f], [2f, 0.5f, 0f, 0f], [0]);
    /// total.Merge(shard);
    /// </code>
    /// </example>
    public void Merge(ModelComparison other)
    {
        ArgumentNullException.ThrowIfNull(other);
        _counts.CheckSameConfiguration(other._counts, "comparison");
        if (other.PercentileCapacity != PercentileCapacity)
        {
            throw new ArgumentException($"other keeps {other.PercentileCapacity} exact divergences; this comparison keeps {PercentileCapacity}.", nameof(other));
        }
        if (ReferenceEquals(other, this))
        {
            other = FromState(ToState());
        }
        _counts.Merge(other._counts);
        _sameTop += other._sameTop;
        _maxProbabilityDifference = Math.Max(_maxProbabilityDifference, other._maxProbabilityDifference);
        foreach (var (mine, theirs) in Sums().Zip(other.Sums()))
        {
            mine.Add(theirs);
        }
        _divergences.Merge(other._divergences);
    }

    /// <summary>The exact sums, in the order of the state's list.</summary>
    private ExactSum[] Sums() =>
    [
        _loss, _lossSquare, _referenceLoss, _referenceLossSquare, _lossProduct, _divergence, _divergenceSquare,
        _probabilityDifference, _probabilityDifferenceSquare, _probabilityDifferenceFourth,
    ];

    /// <summary>The figures so far (see <see cref="ModelComparisonResult"/>).</summary>
    /// <returns>A new result; the comparison can keep accumulating.</returns>
    /// <example>
    /// <code>
    /// var compare = new ModelComparison(classCount: 4);
    /// float[] floatModelLogits = [2f, 0f, 0f, 0f, 0f, 1f, 0f, 0f]; // 2 tokens × 4 classes
    /// float[] halfModelLogits = [2f, 0.1f, 0f, 0f, 0f, 1f, 0.1f, 0f];
    /// int[] targets = [0, 1];
    /// compare.Add&lt;float&gt;(floatModelLogits, halfModelLogits, targets);
    /// double meanKl = compare.ToResult().MeanDivergence;
    /// </code>
    /// </example>
    public ModelComparisonResult ToResult()
    {
        double n = _counts.Tokens;
        var (logPpl, logPplError) = TokenBatches.MeanAndError(_loss.Value, _lossSquare.Value, n);
        var (logPplReference, logPplReferenceError) = TokenBatches.MeanAndError(_referenceLoss.Value, _referenceLossSquare.Value, n);
        // llama.cpp: the covariance of the two mean log-perplexities, 0 below 10 tokens.
        double covariance = n < 10 ? 0 : ((_lossProduct.Value / n) - (logPpl * logPplReference)) / (n - 1);
        double ratioLog = logPpl - logPplReference;
        double ratioLogError = Math.Sqrt((logPplError * logPplError) + (logPplReferenceError * logPplReferenceError) - (2 * covariance));
        double ppl = Math.Exp(logPpl);
        double pplError = ppl * logPplError;
        double pplReference = Math.Exp(logPplReference);
        double pplReferenceError = pplReference * logPplReferenceError;
        double pplCovariance = ppl * pplReference * covariance;
        var (divergence, divergenceError) = TokenBatches.MeanAndError(_divergence.Value, _divergenceSquare.Value, n);
        var (difference, differenceError) = TokenBatches.MeanAndError(_probabilityDifference.Value, _probabilityDifferenceSquare.Value, n);
        var (meanSquare, meanSquareError) = TokenBatches.MeanAndError(_probabilityDifferenceSquare.Value, _probabilityDifferenceFourth.Value, n);
        double rms = Math.Sqrt(meanSquare);
        double sameTop = _sameTop / n;
        Percentile[] percentiles = [.. Fractions.Select(f => new Percentile(f, _divergences.Percentile(f)))];
        return new ModelComparisonResult
        {
            TokenCount = _counts.Tokens,
            IgnoredCount = _counts.Ignored,
            NonFiniteCount = _counts.NonFinite,
            Perplexity = ppl,
            PerplexityError = pplError,
            ReferencePerplexity = pplReference,
            ReferencePerplexityError = pplReferenceError,
            LogPerplexityCorrelation = covariance / (logPplError * logPplReferenceError),
            LogPerplexityRatio = ratioLog,
            LogPerplexityRatioError = ratioLogError,
            PerplexityRatio = Math.Exp(ratioLog),
            PerplexityRatioError = Math.Exp(ratioLog) * ratioLogError,
            PerplexityDifference = ppl - pplReference,
            PerplexityDifferenceError = Math.Sqrt((pplError * pplError) + (pplReferenceError * pplReferenceError) - (2 * pplCovariance)),
            MeanDivergence = divergence,
            MeanDivergenceError = divergenceError,
            MaxDivergence = _divergences.Percentile(1),
            MinDivergence = _divergences.Percentile(0),
            DivergencePercentiles = percentiles,
            PercentileRelativeError = _divergences.RelativeError,
            MeanProbabilityDifference = difference,
            MeanProbabilityDifferenceError = differenceError,
            RmsProbabilityDifference = rms,
            RmsProbabilityDifferenceError = 0.5 / rms * meanSquareError,
            MaxProbabilityDifference = _maxProbabilityDifference,
            SameTopFraction = sameTop,
            SameTopFractionError = Math.Sqrt(sameTop * (1 - sameTop) / (n - 1)),
        };
    }

    /// <summary>The whole state as plain data; equal for equal multisets of tokens.</summary>
    /// <returns>A new state record.</returns>
    /// <example>
    /// <code>
    /// var compare = new ModelComparison(classCount: 4);
    /// float[] floatModelLogits = [2f, 0f, 0f, 0f, 0f, 1f, 0f, 0f]; // 2 tokens × 4 classes
    /// float[] halfModelLogits = [2f, 0.1f, 0f, 0f, 0f, 1f, 0.1f, 0f];
    /// int[] targets = [0, 1];
    /// compare.Add&lt;float&gt;(floatModelLogits, halfModelLogits, targets);
    /// ModelComparisonState s = compare.ToState(); // plain data: send it anywhere
    /// </code>
    /// </example>
    public ModelComparisonState ToState()
    {
        var (values, buckets) = _divergences.ToData();
        var sums = Sums();
        return new ModelComparisonState
        {
            ClassCount = ClassCount,
            IgnoreIndex = IgnoreIndex,
            PercentileCapacity = PercentileCapacity,
            TokenCount = _counts.Tokens,
            IgnoredCount = _counts.Ignored,
            NonFiniteCount = _counts.NonFinite,
            SameTopCount = _sameTop,
            MaxProbabilityDifference = _maxProbabilityDifference,
            Sums = [.. sums.Select(s => s.ToString())],
            Divergences = values ?? [],
            DivergenceBuckets = buckets ?? [],
        };
    }

    /// <summary>A comparison holding <paramref name="state"/>.</summary>
    /// <param name="state">A state from <see cref="ToState"/>.</param>
    /// <returns>A new comparison equal to the one the state was taken from.</returns>
    /// <exception cref="ArgumentException">The state has the wrong number of sums.</exception>
    /// <exception cref="FormatException">A sum or bucket is malformed.</exception>
    /// <example>
    /// <code>
    /// var compare = new ModelComparison(classCount: 4);
    /// float[] floatModelLogits = [2f, 0f, 0f, 0f, 0f, 1f, 0f, 0f]; // 2 tokens × 4 classes
    /// float[] halfModelLogits = [2f, 0.1f, 0f, 0f, 0f, 1f, 0.1f, 0f];
    /// int[] targets = [0, 1];
    /// compare.Add&lt;float&gt;(floatModelLogits, halfModelLogits, targets);
    /// ModelComparisonState state = compare.ToState();
    /// var shard = ModelComparison.FromState(state);
    /// </code>
    /// </example>
    public static ModelComparison FromState(ModelComparisonState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var comparison = new ModelComparison(state.ClassCount, state.IgnoreIndex, state.PercentileCapacity)
        {
            _sameTop = state.SameTopCount,
            _maxProbabilityDifference = state.MaxProbabilityDifference,
        };
        comparison._counts.Restore(state.TokenCount, state.IgnoredCount, state.NonFiniteCount);
        var sums = comparison.Sums();
        if (state.Sums.Count != sums.Length)
        {
            throw new ArgumentException($"state has {state.Sums.Count} sums; a comparison has {sums.Length}.", nameof(state));
        }
        for (int i = 0; i < sums.Length; i++)
        {
            sums[i].Add(ExactSum.Parse(state.Sums[i]));
        }
        bool exact = state.DivergenceBuckets.Count == 0;
        comparison._divergences = QuantileSketch.FromData(state.PercentileCapacity, exact ? [.. state.Divergences] : null, exact ? null : [.. state.DivergenceBuckets]);
        return comparison;
    }

    /// <summary>The state as JSON (System.Text.Json; lossless).</summary>
    /// <returns>One line of JSON; equal for equal states.</returns>
    /// <example>
    /// <code>
    /// var compare = new ModelComparison(classCount: 4);
    /// float[] floatModelLogits = [2f, 0f, 0f, 0f, 0f, 1f, 0f, 0f]; // 2 tokens × 4 classes
    /// float[] halfModelLogits = [2f, 0.1f, 0f, 0f, 0f, 1f, 0.1f, 0f];
    /// int[] targets = [0, 1];
    /// compare.Add&lt;float&gt;(floatModelLogits, halfModelLogits, targets);
    /// File.WriteAllText(Path.Combine(Path.GetTempPath(), "shard3.json"), compare.ToJson());
    /// </code>
    /// </example>
    public string ToJson() => JsonSerializer.Serialize(ToState(), EvaluationJson.Default.ModelComparisonState);

    /// <summary>A comparison from the JSON of <see cref="ToJson"/>.</summary>
    /// <param name="json">The JSON text.</param>
    /// <returns>A new comparison.</returns>
    /// <exception cref="JsonException">The text is not a state.</exception>
    /// <example>
    /// <code>
    /// var total = new ModelComparison(classCount: 4);
    /// var shard = new ModelComparison(classCount: 4); // scored elsewhere, same configuration
    /// shard.Add&lt;float&gt;([2f, 0f, 0f, 0f], [2f, 0.5f, 0f, 0f], [0]);
    /// string path = Path.Combine(Path.GetTempPath(), "shard3.json");
    /// File.WriteAllText(path, shard.ToJson());
    /// total.Merge(ModelComparison.FromJson(File.ReadAllText(path)));
    /// </code>
    /// </example>
    public static ModelComparison FromJson(string json) =>
        FromState(TokenCounts.ReadJson(json, EvaluationJson.Default.ModelComparisonState));
}
