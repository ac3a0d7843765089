using System.Numerics;
using System.Text.Json;
using Losses.Kernels;

namespace Losses;

/// <summary>
/// Corpus cross-entropy and perplexity of one model over a stream of batches of logits [rows × classCount] and targets,
/// with PyTorch's <c>weight</c> and <c>ignore_index</c>, plus top-k accuracy and the mean entropy of the predictions:
/// perplexity = exp(Σᵢ w[tᵢ]·ℓᵢ / Σᵢ w[tᵢ]) with ℓᵢ = −log softmax(xᵢ)[tᵢ] over the counted tokens (not the
/// per-row <see cref="Entropy.PerplexityFromLogits{T}(ReadOnlySpan{T})"/>, which is the model's own uncertainty).
/// Accumulators merge — across batches, threads, processes and machines — to <b>bitwise the same state</b> whatever the
/// split and the merge order, and their state is plain data (<see cref="ToState"/>, <see cref="ToJson"/>).
/// </summary>
/// <remarks>
/// <para><b>Per token</b>: one max pass and one fused pass over the row (one exp per element): ℓ = (max − x_t) + log Σ e^(x−max)
/// (the formula of <see cref="CrossEntropy"/>, combined in double), the entropy H = log S − Σ e^(x−m)(x−m)/S (that of
/// <see cref="Entropy.FromLogits{T}(ReadOnlySpan{T})"/>), and the rank of the target: the number of logits above it plus
/// those equal to it at a smaller index (a stable descending sort, so rank 0 is torch.argmax). A token is correct at k when
/// its rank is below k. With <see cref="PerplexityMetrics.None"/> the loss comes from the online normalizer of
/// <see cref="CrossEntropy"/> instead (one pass, about the cost of <see cref="CrossEntropy"/>'s forward); any other choice runs the two
/// passes above (about the cost of <see cref="Entropy.FromLogits{T}(ReadOnlySpan{T})"/>). Measured costs are in benchmarks/README.md.</para>
/// <para><b>Exact merge</b>: every sum (Σ w·ℓ, Σ w·ℓ², Σ w, Σ H) is kept exactly (a fixed-point accumulator over the whole double
/// range) and rounded once when read, and every count is an integer, so the result depends only on the multiset of tokens.
/// The per-token values depend only on the row; they are the same on machines with the same SIMD width (the lanes of the sums
/// of exp differ between Vector512, Vector256 and scalar code in the last bits).</para>
/// <para><b>Weights</b> weight the cross-entropy (Σ w·ℓ / Σ w, PyTorch's mean); accuracy and entropy are plain means over the
/// counted tokens. Rows whose target is the ignore index are skipped and counted in <see cref="PerplexityResult.IgnoredCount"/>.</para>
/// <para><b>NaN</b>: a row with a NaN or +∞ logit (or no finite logit at all) has no defined loss; it is left out of every sum and
/// counted in <see cref="PerplexityResult.NonFiniteCount"/> (never dropped silently: the report shows it). A −∞ logit masks a class;
/// at the target it gives ℓ = +∞ and so an infinite perplexity, as PyTorch.</para>
/// <para><b>Bad input</b> (a batch whose length is not targets × classCount, a target outside [0, classCount) that is not the ignore
/// index, merging accumulators of different class counts, ignore indices, weights or top-k lists) throws an
/// <see cref="ArgumentException"/> naming the argument and index before anything is accumulated: a failed call changes nothing.</para>
/// <para>Not thread-safe: use one accumulator per thread and <see cref="Merge"/> them.</para>
/// </remarks>
/// <example>
/// <code>
/// var eval = new PerplexityAccumulator(classCount: 4) { TopK = [1, 2] };
/// (float[] Logits, int[] Targets)[] batches = [([2f, 0f, 0f, 0f, 0f, 1f, 0f, 0f], [0, 1]), ([0f, 0f, 3f, 0f], [2])];
/// foreach (var (logits, targets) in batches)   // rows × 4 logits, one target per row
///     eval.Add&lt;float&gt;(logits, targets);
/// PerplexityResult r = eval.ToResult();
/// Console.WriteLine(r.ToTable());             // perplexity ± error, cross-entropy, accuracy, top-2, entropy
/// </code>
/// </example>
/// <seealso cref="ModelComparison"/>
/// <seealso cref="CrossEntropy"/>
public sealed class PerplexityAccumulator : ITokenSink
{
    private readonly TokenCounts _counts;
    private readonly double[]? _weight;
    private readonly int[] _topK;
    private readonly long[] _correct;
    private readonly PerplexityMetrics _metrics = PerplexityMetrics.All;
    private readonly ExactSum _lossSum = new();
    private readonly ExactSum _lossSquareSum = new();
    private readonly ExactSum _weightSum = new();
    private readonly ExactSum _entropySum = new();

    /// <summary>An empty accumulator; <see cref="TopK"/> and <see cref="Metrics"/> are set in an initializer: <c>new PerplexityAccumulator(c) { TopK = [1, 10] }</c>.</summary>
    /// <param name="classCount">The vocabulary size C: every batch has C logits per row.</param>
    /// <param name="weight">Empty, or C class weights (PyTorch's <c>weight</c>): the cross-entropy is Σ w[t]·ℓ / Σ w[t].</param>
    /// <param name="ignoreIndex">Rows with this target are skipped (PyTorch's default −100).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classCount"/> is not positive.</exception>
    /// <exception cref="ArgumentException"><paramref name="weight"/> has a length other than 0 or C, or a weight is negative or not finite
    /// (the index is named).</exception>
    public PerplexityAccumulator(int classCount, ReadOnlySpan<double> weight = default, int ignoreIndex = -100)
    {
        _counts = new TokenCounts(classCount, ignoreIndex);
        if (!weight.IsEmpty && weight.Length != classCount)
        {
            throw new ArgumentException($"weight has {weight.Length} elements; it must be empty or have one per class ({classCount}).", nameof(weight));
        }
        for (int i = 0; i < weight.Length; i++)
        {
            if (!(double.IsFinite(weight[i]) && weight[i] >= 0))
            {
                throw new ArgumentException($"weight[{i}] = {weight[i]} is not a finite non-negative weight.", nameof(weight));
            }
        }
        _weight = weight.IsEmpty ? null : weight.ToArray();
        _topK = classCount >= 5 ? [1, 5] : [1];
        _correct = new long[_topK.Length];
    }

    /// <summary>The vocabulary size C.</summary>
    public int ClassCount => _counts.ClassCount;

    /// <summary>The target value whose rows are skipped.</summary>
    public int IgnoreIndex => _counts.IgnoreIndex;

    /// <summary>
    /// The k of the counted top-k accuracies (torchmetrics' <c>top_k</c>), each in [1, C], increasing; default {1, 5} (those ≤ C).
    /// Set only in an object initializer.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A k is outside [1, C] (index and value named).</exception>
    /// <exception cref="ArgumentException">The list is empty or does not increase.</exception>
    public IReadOnlyList<int> TopK
    {
        get => _topK.AsReadOnly();
        init
        {
            ArgumentNullException.ThrowIfNull(value);
            if (value.Count == 0)
            {
                throw new ArgumentException("TopK needs at least one k.", nameof(TopK));
            }
            for (int i = 0; i < value.Count; i++)
            {
                if (value[i] < 1 || value[i] > ClassCount)
                {
                    throw new ArgumentOutOfRangeException(nameof(TopK), value[i], $"TopK[{i}] = {value[i]} is not in [1, {ClassCount}].");
                }
                if (i > 0 && value[i] <= value[i - 1])
                {
                    throw new ArgumentException($"TopK[{i}] = {value[i]} does not increase on TopK[{i - 1}] = {value[i - 1]}.", nameof(TopK));
                }
            }
            _topK = [.. value];
            _correct = new long[_topK.Length];
        }
    }

    /// <summary>
    /// What is computed beyond cross-entropy and perplexity (default all); <see cref="PerplexityMetrics.None"/> costs about one
    /// <see cref="CrossEntropy"/> forward pass, the others about one <see cref="Entropy.FromLogits{T}(ReadOnlySpan{T})"/>. Set only
    /// in an object initializer.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">An unknown flag.</exception>
    public PerplexityMetrics Metrics
    {
        get => _metrics;
        init
        {
            if ((value & ~PerplexityMetrics.All) != 0)
            {
                throw new ArgumentOutOfRangeException(nameof(Metrics), value, "Unknown metrics.");
            }
            _metrics = value;
        }
    }

    /// <summary>The number of tokens counted so far (not ignored, finite).</summary>
    public long TokenCount => _counts.Tokens;

    /// <summary>Adds a batch with int targets (class indices, or the ignore index).</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="logits">rows × <see cref="ClassCount"/> logits, row-major (rows = targets.Length).</param>
    /// <param name="targets">One target per row.</param>
    /// <param name="maxDegreeOfParallelism">1 (default), n threads, or −1 for all cores: the rows are scored in the row driver's fixed chunks; the state is bitwise the same for any thread count.</param>
    /// <exception cref="ArgumentException">The length of <paramref name="logits"/> is not targets × ClassCount.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A target is outside [0, ClassCount) and not the ignore index (row and value named), or maxDegreeOfParallelism is 0 or below −1.</exception>
    /// <example>
    /// <code>
    /// var eval = new PerplexityAccumulator(classCount: 4);
    /// float[] logits = [2f, 0f, 0f, 0f, 0f, 1f, 0f, 0f]; // 2 tokens × 4 classes
    /// int[] targets = [0, 1];
    /// eval.Add&lt;float&gt;(logits, targets);
    /// </code>
    /// </example>
    public void Add<T>(ReadOnlySpan<T> logits, ReadOnlySpan<int> targets, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        _counts.Add<T, T, int>(logits, targets, this, Metrics, maxDegreeOfParallelism);

    /// <summary>Adds a batch with long targets (PyTorch's and TorchSharp's int64 class indices).</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="logits">rows × <see cref="ClassCount"/> logits, row-major (rows = targets.Length).</param>
    /// <param name="targets">One target per row.</param>
    /// <param name="maxDegreeOfParallelism">1 (default), n threads, or −1 for all cores: the rows are scored in the row driver's fixed chunks; the state is bitwise the same for any thread count.</param>
    /// <exception cref="ArgumentException">The length of <paramref name="logits"/> is not targets × ClassCount.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A target is outside [0, ClassCount) and not the ignore index (row and value named), or maxDegreeOfParallelism is 0 or below −1.</exception>
    /// <example>
    /// <code>
    /// var eval = new PerplexityAccumulator(classCount: 4);
    /// float[] logits = [2f, 0f, 0f, 0f, 0f, 1f, 0f, 0f];
    /// long[] tokenIds = [0, 1];          // long[] from a tokenizer
    /// eval.Add&lt;float&gt;(logits, tokenIds);
    /// </code>
    /// </example>
    public void Add<T>(ReadOnlySpan<T> logits, ReadOnlySpan<long> targets, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        _counts.Add<T, T, long>(logits, targets, this, Metrics, maxDegreeOfParallelism);

    /// <summary>Adds a batch of Half logits with long targets: the logits are widened to float exactly (arithmetic in float), so the state is bitwise that of <see cref="Add{T}(ReadOnlySpan{T}, ReadOnlySpan{long}, int)"/> on the widened values.</summary>
    /// <param name="logits">rows × <see cref="ClassCount"/> logits, row-major (rows = targets.Length).</param>
    /// <param name="targets">One target per row.</param>
    /// <param name="maxDegreeOfParallelism">1 (default), n threads, or −1 for all cores; the state is bitwise the same for any thread count.</param>
    /// <exception cref="ArgumentException">The length of <paramref name="logits"/> is not targets × ClassCount.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A target is outside [0, ClassCount) and not the ignore index (row and value named), or maxDegreeOfParallelism is 0 or below −1.</exception>
    /// <example>
    /// <code>
    /// var eval = new PerplexityAccumulator(classCount: 4);
    /// Half[] halfLogits = [(Half)2f, (Half)0f, (Half)0f, (Half)0f];
    /// long[] tokenIds = [0];
    /// eval.Add(halfLogits, tokenIds); // the same state as the float logits 2, 0, 0, 0
    /// </code>
    /// </example>
    public void Add(ReadOnlySpan<Half> logits, ReadOnlySpan<long> targets, int maxDegreeOfParallelism = 1) =>
        _counts.Add<float, Half, long>(logits, targets, this, Metrics, maxDegreeOfParallelism);

    /// <summary>Adds a batch of bfloat16 logits with long targets: widened to float exactly (arithmetic in float), so the state is bitwise that of the float logits.</summary>
    /// <param name="logits">rows × <see cref="ClassCount"/> logits, row-major (rows = targets.Length).</param>
    /// <param name="targets">One target per row.</param>
    /// <param name="maxDegreeOfParallelism">1 (default), n threads, or −1 for all cores; the state is bitwise the same for any thread count.</param>
    /// <exception cref="ArgumentException">The length of <paramref name="logits"/> is not targets × ClassCount.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A target is outside [0, ClassCount) and not the ignore index (row and value named), or maxDegreeOfParallelism is 0 or below −1.</exception>
    /// <example>
    /// <code>
    /// var eval = new PerplexityAccumulator(classCount: 4);
    /// BFloat16[] bfloat16Logits = [(BFloat16)2f, (BFloat16)0f, (BFloat16)0f, (BFloat16)0f];
    /// long[] tokenIds = [0];
    /// eval.Add(bfloat16Logits, tokenIds);
    /// </code>
    /// </example>
    public void Add(ReadOnlySpan<BFloat16> logits, ReadOnlySpan<long> targets, int maxDegreeOfParallelism = 1) =>
        _counts.Add<float, BFloat16, long>(logits, targets, this, Metrics, maxDegreeOfParallelism);

    void ITokenSink.Add(in TokenFigures figures) => ((ITokenSink)this).Add(new ReadOnlySpan<TokenFigures>(in figures));

    /// <summary>
    /// Adds a batch's figures (ignored rows, target −1, are skipped). With <see cref="PerplexityMetrics.None"/> the figures hold
    /// no entropy (0, which adds nothing) and rank 0 (correct at every k), so the top-k counts grow by the batch's token count
    /// once: the state is bitwise that of adding the tokens one by one.
    /// </summary>
    void ITokenSink.Add(ReadOnlySpan<TokenFigures> figures)
    {
        double[]? weight = _weight;
        ExactSum lossSum = _lossSum;
        ExactSum lossSquareSum = _lossSquareSum;
        bool lossOnly = _metrics == PerplexityMetrics.None;
        long tokens = 0;
        long nonFinite = 0;
        foreach (ref readonly TokenFigures f in figures)
        {
            if (f.Target < 0)
            {
                continue;
            }
            if (double.IsNaN(f.Loss) || double.IsNaN(f.Entropy))
            {
                nonFinite++;
                continue;
            }
            tokens++;
            double w = weight is null ? 1 : weight[f.Target];
            double loss = w * f.Loss;
            lossSum.Add(loss);
            lossSquareSum.Add(loss * f.Loss);
            if (weight is not null)
            {
                _weightSum.Add(w);
            }
            if (lossOnly)
            {
                continue;
            }
            _entropySum.Add(f.Entropy);
            for (int i = 0; i < _topK.Length; i++)
            {
                if (f.Rank < _topK[i])
                {
                    _correct[i]++;
                }
            }
        }
        if (lossOnly)
        {
            for (int i = 0; i < _correct.Length; i++)
            {
                _correct[i] += tokens;
            }
        }
        _counts.Tokens += tokens;
        _counts.NonFinite += nonFinite;
    }


    /// <summary>Adds everything <paramref name="other"/> has counted (exactly: the result does not depend on the order of merges).</summary>
    /// <param name="other">An accumulator of the same class count, ignore index, weights and top-k list; unchanged. It may be
    /// this accumulator itself: its counts are then added once more, as merging a copy would.</param>
    /// <exception cref="ArgumentException">The configurations differ (which one is named); nothing is changed.</exception>
    /// <example>
    /// <code>
    /// var total = new PerplexityAccumulator(classCount: 4);
    /// var shard = new PerplexityAccumulator(classCount: 4); // scored elsewhere, same configuration
    /// shard.Add&lt;float&gt;([2f, 0f, 0f, 0f], [0]);
    /// total.Merge(shard);
    /// </code>
    /// </example>
    public void Merge(PerplexityAccumulator other)
    {
        ArgumentNullException.ThrowIfNull(other);
        _counts.CheckSameConfiguration(other._counts, "accumulator");
        if (!TokenBatches.SameWeights(_weight, other._weight))
        {
            throw new ArgumentException("other has different class weights.", nameof(other));
        }
        if (other.Metrics != Metrics)
        {
            throw new ArgumentException($"other computes {other.Metrics}; this accumulator {Metrics}.", nameof(other));
        }
        if (!_topK.AsSpan().SequenceEqual(other._topK))
        {
            throw new ArgumentException($"other counts top-k for k = [{string.Join(", ", other._topK)}]; this accumulator for [{string.Join(", ", _topK)}].", nameof(other));
        }
        if (ReferenceEquals(other, this))
        {
            other = FromState(ToState());
        }
        _counts.Merge(other._counts);
        for (int i = 0; i < _correct.Length; i++)
        {
            _correct[i] += other._correct[i];
        }
        _lossSum.Add(other._lossSum);
        _lossSquareSum.Add(other._lossSquareSum);
        _weightSum.Add(other._weightSum);
        _entropySum.Add(other._entropySum);
    }

    /// <summary>The figures so far (see <see cref="PerplexityResult"/>); NaN means for no counted token.</summary>
    /// <returns>A new result; the accumulator is unchanged and can keep accumulating.</returns>
    /// <example>
    /// <code>
    /// var eval = new PerplexityAccumulator(classCount: 4);
    /// float[] logits = [2f, 0f, 0f, 0f, 0f, 1f, 0f, 0f]; // 2 tokens × 4 classes
    /// int[] targets = [0, 1];
    /// eval.Add&lt;float&gt;(logits, targets);
    /// double ppl = eval.ToResult().Perplexity;
    /// </code>
    /// </example>
    public PerplexityResult ToResult()
    {
        double n = _counts.Tokens;
        double weightSum = _weight is null ? n : _weightSum.Value;
        double lossSum = _lossSum.Value;
        // The standard error of the weighted mean loss, llama.cpp's formula with weights (w = 1 gives llama.cpp's).
        var (mean, error) = TokenBatches.MeanAndError(lossSum / weightSum * n, _lossSquareSum.Value / weightSum * n, n);
        if (_counts.Tokens == 0)
        {
            mean = error = double.NaN;
        }
        bool accuracy = (Metrics & PerplexityMetrics.TopKAccuracy) != 0;
        TopKAccuracy[] accuracies = [.. _topK.Select((k, i) => new TopKAccuracy(k, accuracy ? _correct[i] / n : double.NaN))];
        return new PerplexityResult
        {
            TokenCount = _counts.Tokens,
            IgnoredCount = _counts.Ignored,
            NonFiniteCount = _counts.NonFinite,
            WeightSum = weightSum,
            LossSum = lossSum,
            CrossEntropy = mean,
            CrossEntropyError = error,
            Perplexity = Math.Exp(mean),
            PerplexityError = Math.Exp(mean) * error,
            Accuracy = _topK[0] == 1 && accuracy ? _correct[0] / n : double.NaN,
            TopKAccuracies = accuracy ? accuracies : [],
            MeanEntropy = (Metrics & PerplexityMetrics.Entropy) != 0 ? _entropySum.Value / n : double.NaN,
        };
    }

    /// <summary>The whole state as plain data (sums as exact text, counts as integers); equal states for equal multisets of tokens.</summary>
    /// <returns>A new state record.</returns>
    /// <example>
    /// <code>
    /// var eval = new PerplexityAccumulator(classCount: 4);
    /// float[] logits = [2f, 0f, 0f, 0f, 0f, 1f, 0f, 0f]; // 2 tokens × 4 classes
    /// int[] targets = [0, 1];
    /// eval.Add&lt;float&gt;(logits, targets);
    /// PerplexityState s = eval.ToState(); // plain data: send it anywhere
    /// </code>
    /// </example>
    public PerplexityState ToState() => new()
    {
        ClassCount = ClassCount,
        IgnoreIndex = IgnoreIndex,
        Weight = _weight is null ? [] : [.. _weight],
        TopK = [.. _topK],
        Metrics = Metrics,
        TokenCount = _counts.Tokens,
        IgnoredCount = _counts.Ignored,
        NonFiniteCount = _counts.NonFinite,
        CorrectCount = [.. _correct],
        LossSum = _lossSum.ToString(),
        LossSquareSum = _lossSquareSum.ToString(),
        WeightSum = _weightSum.ToString(),
        EntropySum = _entropySum.ToString(),
    };

    /// <summary>An accumulator holding <paramref name="state"/> (e.g. read from another process).</summary>
    /// <param name="state">A state from <see cref="ToState"/>.</param>
    /// <returns>A new accumulator, equal to the one the state was taken from.</returns>
    /// <exception cref="ArgumentException">The state is inconsistent (a count of per-k figures other than of k, or bad weights).</exception>
    /// <exception cref="FormatException">A sum is not exact text.</exception>
    /// <example>
    /// <code>
    /// var eval = new PerplexityAccumulator(classCount: 4);
    /// float[] logits = [2f, 0f, 0f, 0f, 0f, 1f, 0f, 0f]; // 2 tokens × 4 classes
    /// int[] targets = [0, 1];
    /// eval.Add&lt;float&gt;(logits, targets);
    /// PerplexityState state = eval.ToState();
    /// var shard = PerplexityAccumulator.FromState(state);
    /// </code>
    /// </example>
    public static PerplexityAccumulator FromState(PerplexityState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        double[]? weight = TokenBatches.Weights(state.Weight, state.ClassCount);
        var accumulator = new PerplexityAccumulator(state.ClassCount, weight, state.IgnoreIndex) { TopK = state.TopK, Metrics = state.Metrics };
        if (state.CorrectCount.Count != state.TopK.Count)
        {
            throw new ArgumentException($"state has {state.CorrectCount.Count} correct counts for {state.TopK.Count} values of k.", nameof(state));
        }
        accumulator._counts.Restore(state.TokenCount, state.IgnoredCount, state.NonFiniteCount);
        for (int i = 0; i < accumulator._correct.Length; i++)
        {
            accumulator._correct[i] = state.CorrectCount[i];
        }
        accumulator._lossSum.Add(ExactSum.Parse(state.LossSum));
        accumulator._lossSquareSum.Add(ExactSum.Parse(state.LossSquareSum));
        accumulator._weightSum.Add(ExactSum.Parse(state.WeightSum));
        accumulator._entropySum.Add(ExactSum.Parse(state.EntropySum));
        return accumulator;
    }

    /// <summary>The state as JSON (System.Text.Json; doubles round-trip, sums are exact text).</summary>
    /// <returns>One line of JSON; equal for equal states.</returns>
    /// <example>
    /// <code>
    /// var eval = new PerplexityAccumulator(classCount: 4);
    /// float[] logits = [2f, 0f, 0f, 0f, 0f, 1f, 0f, 0f]; // 2 tokens × 4 classes
    /// int[] targets = [0, 1];
    /// eval.Add&lt;float&gt;(logits, targets);
    /// File.WriteAllText(Path.Combine(Path.GetTempPath(), "shard3.json"), eval.ToJson());
    /// </code>
    /// </example>
    public string ToJson() => JsonSerializer.Serialize(ToState(), EvaluationJson.Default.PerplexityState);

    /// <summary>An accumulator from the JSON of <see cref="ToJson"/>.</summary>
    /// <param name="json">The JSON text.</param>
    /// <returns>A new accumulator.</returns>
    /// <exception cref="JsonException">The text is not a state.</exception>
    /// <example>
    /// <code>
    /// var total = new PerplexityAccumulator(classCount: 4);
    /// var shard = new PerplexityAccumulator(classCount: 4); // scored elsewhere, same configuration
    /// shard.Add&lt;float&gt;([2f, 0f, 0f, 0f], [0]);
    /// string path = Path.Combine(Path.GetTempPath(), "shard3.json");
    /// File.WriteAllText(path, shard.ToJson());
    /// total.Merge(PerplexityAccumulator.FromJson(File.ReadAllText(path)));
    /// </code>
    /// </example>
    public static PerplexityAccumulator FromJson(string json) =>
        FromState(TokenCounts.ReadJson(json, EvaluationJson.Default.PerplexityState));
}
