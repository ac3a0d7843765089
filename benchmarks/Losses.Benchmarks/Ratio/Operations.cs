using System.Numerics.Tensors;

namespace Losses.Benchmarks.Ratio;

/// <summary>One named operation over a <see cref="Workload"/>: what the ratio mode, the smoke check and the tables time.</summary>
/// <param name="Name">The command-line name (kebab-case).</param>
/// <param name="Description">What it computes, as the tables print it.</param>
/// <param name="Bind">Builds the call over a workload (no allocation inside the returned action).</param>
internal sealed record Operation(string Name, string Description, Func<Workload, Action> Bind);

/// <summary>
/// The one table of named operations: Losses calls (public API only, so that the table survives any rewrite of the
/// kernels), and the baselines they are compared with (TensorPrimitives.Exp over the same number of elements,
/// TensorPrimitives compositions a user would write, scalar loops). Float, one thread unless the name ends in "-2t".
/// </summary>
internal static class Operations
{
    public static IReadOnlyList<Operation> All { get; } =
    [
        // Baselines.
        new("exp", "TensorPrimitives.Exp over the same elements", w => () => TensorPrimitives.Exp(w.Logits, w.Destination)),
        new("tp-softmax", "TensorPrimitives composition softmax (max, subtract, exp, sum, divide per row)", w => () => TensorPrimitivesSoftmax(w)),
        new("tp-logsumexp", "TensorPrimitives composition log-sum-exp per row", w => () => TensorPrimitivesLogSumExp(w)),
        new("tp-ce-forward", "TensorPrimitives composition cross-entropy forward", w => () => TensorPrimitivesCrossEntropy(w)),
        new("scalar-softmax", "scalar loop softmax (MathF.Exp)", w => () => ScalarSoftmax(w)),
        new("scalar-exp", "scalar loop MathF.Exp over the same elements", w => () => ScalarExp(w)),

        // The library.
        new("softmax", "Softmax.Forward", w => () => Softmax.Forward<float>(w.Logits, w.Destination, w.Classes)),
        new("logsoftmax", "LogSoftmax.Forward", w => () => LogSoftmax.Forward<float>(w.Logits, w.Destination, w.Classes)),
        new("softmax-backward", "Softmax.Backward", w => () => Softmax.Backward<float>(w.SoftmaxOutput, w.UpstreamGradient, w.Destination, w.Classes)),
        new("logsoftmax-backward", "LogSoftmax.Backward", w => () => LogSoftmax.Backward<float>(w.LogSoftmaxOutput, w.UpstreamGradient, w.Destination, w.Classes)),
        new("logsumexp", "LogSumExp.Forward (per row)", w => () => LogSumExp.Forward<float>(w.Logits, w.RowOutput, w.Classes)),
        new("entropy", "Entropy.FromLogits (per row)", w => () => Entropy.FromLogits<float>(w.Logits, w.RowOutput, w.Classes)),
        new("kl-logits", "KLDivergence.FromLogits (per row)", w => () => KLDivergence.FromLogits<float>(w.Logits, w.Student, w.RowOutput, w.Classes)),
        new("distillation", "KLDivergence.Distillation + gradient (T = 2, T² scaling)",
            w => () => KLDivergence.Distillation<float>(w.Logits, w.Student, w.Classes, w.Gradient, temperature: 2, scaleByTemperatureSquared: true)),
        new("ce-forward", "CrossEntropy.Forward (integer targets, mean)", w => () => CrossEntropy.Forward<float>(w.Logits, w.Targets, w.Classes)),
        new("ce-forward-grad", "CrossEntropy.Forward + gradient", w => () => CrossEntropy.Forward<float>(w.Logits, w.Targets, w.Classes, w.Gradient)),
        new("ce-forward-2t", "CrossEntropy.Forward, 2 threads",
            w => () => CrossEntropy.Forward<float>(w.Logits, w.Targets, w.Classes, maxDegreeOfParallelism: 2)),
        new("ce-forward-grad-2t", "CrossEntropy.Forward + gradient, 2 threads",
            w => () => CrossEntropy.Forward<float>(w.Logits, w.Targets, w.Classes, w.Gradient, maxDegreeOfParallelism: 2)),
        new("ce-soft", "CrossEntropy.ForwardWithProbabilities (soft targets)",
            w => () => CrossEntropy.ForwardWithProbabilities<float>(w.Logits, w.SoftmaxOutput, w.Classes)),
        new("ce-soft-grad", "CrossEntropy.ForwardWithProbabilities + gradient",
            w => () => CrossEntropy.ForwardWithProbabilities<float>(w.Logits, w.SoftmaxOutput, w.Classes, w.Gradient)),
        new("bce-logits", "BinaryCrossEntropy.ForwardWithLogits", w => () => BinaryCrossEntropy.ForwardWithLogits<float>(w.Logits, w.BinaryTargets)),
        new("bce-logits-grad", "BinaryCrossEntropy.ForwardWithLogits + gradient",
            w => () => BinaryCrossEntropy.ForwardWithLogits<float>(w.Logits, w.BinaryTargets, w.Gradient)),
        new("bce-logits-posweight", "BinaryCrossEntropy.ForwardWithLogits with posWeight",
            w => () => BinaryCrossEntropy.ForwardWithLogits<float>(w.Logits, w.BinaryTargets, posWeight: w.PosWeight)),
        new("bce-logits-posweight-grad", "BinaryCrossEntropy.ForwardWithLogits with posWeight + gradient",
            w => () => BinaryCrossEntropy.ForwardWithLogits<float>(w.Logits, w.BinaryTargets, w.Gradient, posWeight: w.PosWeight)),

        // LLM-scale cross-entropy (issue 12): compare with ce-forward-grad (or ce-long-grad for the 16-bit logits).
        new("ce-slices-4", "CrossEntropySlices in 4 slices, storing form: forward storing the exps, combine, loss, backward rescaling them", w => LlmState.Of(w).Sliced),
        new("ce-slices-4-group", "CrossEntropySlices.ForwardBackward over 4 separate [rows × C/4] chunk buffers (the group form: forward, combine, loss, backward per block of rows)", w => LlmState.Of(w).SlicedGroup),
        new("ce-slices-1-group", "CrossEntropySlices.ForwardBackward over 1 chunk, the whole [rows × C] logits (the group form's one-max pass against the one-shot row)", w => LlmState.Of(w).WholeGroup),
        new("ce-slices-4-forward", "CrossEntropySlices in 4 slices, storing form: the forwards, combines and loss only (no backward)", w => LlmState.Of(w).SlicedForward),
        new("ce-slices-1", "CrossEntropySlices in 1 slice, storing form (as ce-slices-4: isolates the per-slice fixed costs)", w => () => LlmState.Of(w).SlicedIn(1)),
        new("ce-slices-2", "CrossEntropySlices in 2 slices, storing form (as ce-slices-4)", w => () => LlmState.Of(w).SlicedIn(2)),
        new("ce-slices-4-combine", "CrossEntropySlices.Combine of 4 slices' partials (as in ce-slices-4, partials from one earlier forward)", w => LlmState.Of(w).SlicedCombine),
        new("ce-slices-1-forward", "CrossEntropySlices in 1 slice, storing form: the forward, combine and loss only (as ce-slices-4-forward)", w => () => LlmState.Of(w).SlicedIn(1, backward: false)),
        new("ce-slices-4-plain", "CrossEntropySlices in 4 slices, plain form: forward, combine, loss, backward recomputing the exps", w => LlmState.Of(w).SlicedPlain),
        new("ce-zloss-grad", "CrossEntropy.Forward + gradient, zLoss 1e-4", w => () => CrossEntropy.Forward<float>(w.Logits, w.Targets, w.Classes, w.Gradient, zLoss: 1e-4)),
        new("ce-softcap-grad", "CrossEntropy.Forward + gradient, softCap 30", w => () => CrossEntropy.Forward<float>(w.Logits, w.Targets, w.Classes, w.Gradient, softCap: 30)),
        new("ce-softcap", "CrossEntropy.Forward, softCap 30 (no gradient: a max pass, then the capped statistics pass)", w => () => CrossEntropy.Forward<float>(w.Logits, w.Targets, w.Classes, softCap: 30)),
        new("token-fwd-grad", "TokenLogProbabilities.Forward (log-prob + entropy) storing the exps, then Backward rescaling them", w => LlmState.Of(w).Token),
        new("token-fused", "TokenLogProbabilities.ForwardBackward (log-prob + entropy, the gradient of a per-token objective in the same call; the upstream gradients of token-fwd-grad)", w => LlmState.Of(w).TokenFused),
        new("token-fwd", "TokenLogProbabilities.Forward (log-prob + entropy) storing the exps (the forward of token-fwd-grad alone)", w => LlmState.Of(w).TokenForward),
        new("token-fwd-grad-plain", "TokenLogProbabilities.Forward (log-prob + entropy), then the plain Backward (targets)", w => LlmState.Of(w).TokenPlain),
        new("token-grad", "TokenLogProbabilities.Backward (log-prob + entropy gradients)", w => LlmState.Of(w).TokenGradient),
        new("ce-long-grad", "CrossEntropy.Forward + gradient, long targets", w => LlmState.Of(w).LongTargets),
        new("ce-half-grad", "CrossEntropy.Forward + gradient, Half logits, long targets", w => LlmState.Of(w).HalfLogits),
        new("ce-bf16-grad", "CrossEntropy.Forward + gradient, bfloat16 logits, long targets", w => LlmState.Of(w).BFloat16Logits),

        // Streaming evaluation: one batch into an accumulator (created outside the timing).
        new("eval-perplexity", "PerplexityAccumulator.Add (all metrics: cross-entropy, top-1/top-5, entropy)", w => EvaluationAdd(w, PerplexityMetrics.All)),
        new("eval-perplexity-ce", "PerplexityAccumulator.Add (PerplexityMetrics.None: cross-entropy only)", w => EvaluationAdd(w, PerplexityMetrics.None)),
        new("eval-compare", "ModelComparison.Add (reference = logits, compared = student)", EvaluationCompare),
        new("eval-compare-half", "ModelComparison.Add (float reference = logits, Half compared = student, long targets)", EvaluationCompareHalf),

        // Best threshold of one double feature over rows × classes samples (issue 16: shape 1000x1000, against sort-keys).
        new("sort-keys", "copy the keys and Array.Sort them (the floor of a comparison-sort threshold search)", w => ThresholdState.Of(w).SortKeys),
        new("threshold", "InformationGain.BestThreshold, 2 classes, scratch overload", w => ThresholdState.Of(w).Unweighted),
        new("threshold-weighted", "InformationGain.BestThreshold with sample weights, 2 classes, scratch overload", w => ThresholdState.Of(w).Weighted),
    ];

    public static Operation Find(string name) =>
        All.FirstOrDefault(o => o.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"Unknown operation '{name}'. Known: {string.Join(", ", All.Select(o => o.Name))}.", nameof(name));

    private static Action EvaluationAdd(Workload w, PerplexityMetrics metrics)
    {
        var accumulator = new PerplexityAccumulator(w.Classes) { Metrics = metrics };
        return () => accumulator.Add<float>(w.Logits, w.Targets);
    }

    private static Action EvaluationCompare(Workload w)
    {
        var comparison = new ModelComparison(w.Classes);
        return () => comparison.Add<float>(w.Logits, w.Student, w.Targets);
    }

    private static Action EvaluationCompareHalf(Workload w)
    {
        var comparison = new ModelComparison(w.Classes);
        Half[] student = [.. w.Student.Select(v => (Half)v)];
        long[] targets = [.. w.Targets.Select(t => (long)t)];
        return () => comparison.Add(w.Logits, student, targets);
    }

    private static void TensorPrimitivesSoftmax(Workload w)
    {
        int c = w.Classes;
        for (int r = 0; r < w.Rows; r++)
        {
            var x = w.Logits.AsSpan(r * c, c);
            var y = w.Destination.AsSpan(r * c, c);
            TensorPrimitives.Subtract(x, TensorPrimitives.Max<float>(x), y);
            TensorPrimitives.Exp(y, y);
            TensorPrimitives.Divide(y, TensorPrimitives.Sum<float>(y), y);
        }
    }

    private static void TensorPrimitivesLogSumExp(Workload w)
    {
        int c = w.Classes;
        for (int r = 0; r < w.Rows; r++)
        {
            var x = w.Logits.AsSpan(r * c, c);
            var y = w.Destination.AsSpan(r * c, c);
            float max = TensorPrimitives.Max<float>(x);
            TensorPrimitives.Subtract(x, max, y);
            TensorPrimitives.Exp(y, y);
            w.RowOutput[r] = max + MathF.Log(TensorPrimitives.Sum<float>(y));
        }
    }

    private static void TensorPrimitivesCrossEntropy(Workload w)
    {
        TensorPrimitivesLogSumExp(w);
        float total = 0;
        for (int r = 0; r < w.Rows; r++)
        {
            total += w.RowOutput[r] - w.Logits[(r * w.Classes) + w.Targets[r]];
        }
        w.RowOutput[0] = total / w.Rows;
    }

    private static void ScalarSoftmax(Workload w)
    {
        int c = w.Classes;
        for (int r = 0; r < w.Rows; r++)
        {
            var x = w.Logits.AsSpan(r * c, c);
            var y = w.Destination.AsSpan(r * c, c);
            float max = float.NegativeInfinity;
            foreach (float v in x)
            {
                max = MathF.Max(max, v);
            }
            float sum = 0;
            for (int i = 0; i < c; i++)
            {
                sum += y[i] = MathF.Exp(x[i] - max);
            }
            float inverse = 1 / sum;
            for (int i = 0; i < c; i++)
            {
                y[i] *= inverse;
            }
        }
    }

    private static void ScalarExp(Workload w)
    {
        float[] x = w.Logits, y = w.Destination;
        for (int i = 0; i < x.Length; i++)
        {
            y[i] = MathF.Exp(x[i]);
        }
    }
}

/// <summary>The extra buffers of the LLM-scale operations (16-bit logits, long targets, partials, token outputs), one set per workload.</summary>
internal sealed class LlmState
{
    private const int Slices = 4;
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Workload, LlmState> States = [];
    private readonly Workload _w;
    private readonly Half[] _half;
    private readonly BFloat16[] _bf16;
    private readonly long[] _targets;
    private readonly VocabularyPartial[] _partial;
    private readonly VocabularyPartial[] _combined;
    private readonly VocabularyPartial[][] _slicePartials;
    private readonly ReadOnlyMemory<float>[] _chunks;
    private readonly Memory<float>[] _chunkGradients;
    private readonly float[] _logProbabilities;
    private readonly float[] _entropy;
    private readonly float[] _logProbabilityGradient;
    private readonly float[] _entropyGradient;

    private LlmState(Workload w)
    {
        _w = w;
        _half = [.. w.Logits.Select(v => (Half)v)];
        _bf16 = [.. w.Logits.Select(v => (BFloat16)v)];
        _targets = [.. w.Targets.Select(t => (long)t)];
        _partial = new VocabularyPartial[w.Rows];
        _combined = new VocabularyPartial[w.Rows];
        _slicePartials = [.. Enumerable.Range(0, Slices).Select(_ => new VocabularyPartial[w.Rows])];
        // The same logits as 4 separate column-chunk buffers [rows × width] (the last one wider when C % 4 != 0).
        int c = w.Classes, width = c / Slices;
        _chunks = [.. Enumerable.Range(0, Slices).Select(s => (ReadOnlyMemory<float>)Chunk(w, s * width, s == Slices - 1 ? c - (s * width) : width))];
        _chunkGradients = [.. _chunks.Select(m => (Memory<float>)new float[m.Length])];
        _logProbabilities = new float[w.Rows];
        _entropy = new float[w.Rows];
        var random = new Random(7);
        _logProbabilityGradient = [.. Enumerable.Range(0, w.Rows).Select(_ => (float)random.NextDouble())];
        _entropyGradient = [.. Enumerable.Range(0, w.Rows).Select(_ => (float)random.NextDouble())];
    }

    public static LlmState Of(Workload w) => States.GetValue(w, static w => new LlmState(w));

    private static float[] Chunk(Workload w, int offset, int width)
    {
        var chunk = new float[w.Rows * width];
        for (int r = 0; r < w.Rows; r++)
        {
            w.Logits.AsSpan((r * w.Classes) + offset, width).CopyTo(chunk.AsSpan(r * width));
        }
        return chunk;
    }

    public void SlicedGroup() => CrossEntropySlices.ForwardBackward<float>(_chunks, _w.Targets, _chunkGradients, _combined);

    /// <summary>The group form over one chunk, the whole logits (its one-max pass against the one-shot row).</summary>
    public void WholeGroup() => CrossEntropySlices.ForwardBackward<float>([_w.Logits], _w.Targets, [_w.Gradient], _combined);

    public void Sliced() => SlicedIn(Slices);

    public void SlicedForward() => SlicedIn(Slices, backward: false);

    /// <summary>As <see cref="Sliced"/> in <paramref name="slices"/> slices (at most 4): forward, combine, loss, backward.</summary>
    public void SlicedIn(int slices, bool backward = true)
    {
        int c = _w.Classes, width = c / slices;
        Array.Clear(_combined);
        for (int s = 0; s < slices; s++)
        {
            int last = s == slices - 1 ? c - (s * width) : width;
            CrossEntropySlices.Forward<float>(_w.Logits.AsSpan(s * width), _w.Targets, _slicePartials[s], _w.Gradient.AsSpan(s * width), c, s * width, last, stride: c);
            CrossEntropySlices.Combine(_slicePartials[s], _combined);
        }
        CrossEntropySlices.Loss<float>(_combined, c);
        for (int s = 0; backward && s < slices; s++)
        {
            int last = s == slices - 1 ? c - (s * width) : width;
            CrossEntropySlices.Backward<float>(_w.Logits.AsSpan(s * width), _slicePartials[s], _combined, _w.Gradient.AsSpan(s * width), c, s * width, last, stride: c);
        }
    }

    /// <summary>The combines of <see cref="SlicedForward"/> alone, over the slice partials of one forward done here the first time.</summary>
    public void SlicedCombine()
    {
        if (!_combinedOnce)
        {
            SlicedForward();
            _combinedOnce = true;
        }
        Array.Clear(_combined);
        for (int s = 0; s < Slices; s++)
        {
            CrossEntropySlices.Combine(_slicePartials[s], _combined);
        }
    }

    private bool _combinedOnce;

    public void SlicedPlain()
    {
        int c = _w.Classes, width = c / Slices;
        Array.Clear(_combined);
        for (int s = 0; s < Slices; s++)
        {
            int last = s == Slices - 1 ? c - (s * width) : width;
            CrossEntropySlices.Forward<float>(_w.Logits.AsSpan(s * width), _w.Targets, _partial, c, s * width, last, stride: c);
            CrossEntropySlices.Combine(_partial, _combined);
        }
        CrossEntropySlices.Loss<float>(_combined, c);
        for (int s = 0; s < Slices; s++)
        {
            int last = s == Slices - 1 ? c - (s * width) : width;
            CrossEntropySlices.Backward<float>(_w.Logits.AsSpan(s * width), _combined, _w.Gradient.AsSpan(s * width), c, s * width, last, stride: c);
        }
    }

    public void Token()
    {
        TokenForward();
        TokenLogProbabilities.Backward<float>(_w.Logits, _combined, _logProbabilityGradient, _entropyGradient, _w.Gradient, _w.Classes);
    }

    public void TokenFused() =>
        TokenLogProbabilities.ForwardBackward<float, GivenUpstream>(_w.Logits, _w.Targets, _logProbabilities, _w.Gradient, _w.Classes,
            new GivenUpstream(_logProbabilityGradient, _entropyGradient), _entropy);

    /// <summary>A per-token objective whose upstream gradients are given per row (what token-fwd-grad's backward is given).</summary>
    private readonly struct GivenUpstream(float[] alpha, float[] beta) : ITokenObjective<float>
    {
        public void Gradients(int row, float logProbability, float entropy, out float logProbabilityGradient, out float entropyGradient)
        {
            logProbabilityGradient = alpha[row];
            entropyGradient = beta[row];
        }
    }

    public void TokenForward() =>
        TokenLogProbabilities.Forward<float>(_w.Logits, _w.Targets, _logProbabilities, _combined, _w.Gradient, _w.Classes, _entropy);

    public void TokenPlain()
    {
        TokenLogProbabilities.Forward<float>(_w.Logits, _w.Targets, _logProbabilities, _w.Classes, _entropy);
        TokenGradient();
    }

    public void TokenGradient() =>
        TokenLogProbabilities.Backward<float>(_w.Logits, _w.Targets, _logProbabilityGradient, _entropyGradient, _w.Gradient, _w.Classes);

    public void LongTargets() => CrossEntropy.Forward<float>(_w.Logits, _targets, _w.Classes, _w.Gradient);

    public void HalfLogits() => CrossEntropy.Forward(_half, _targets, _w.Classes, _w.Gradient);

    public void BFloat16Logits() => CrossEntropy.Forward(_bf16, _targets, _w.Classes, _w.Gradient);
}
