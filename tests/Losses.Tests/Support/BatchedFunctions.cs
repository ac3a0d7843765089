namespace Losses.Tests.Support;

/// <summary>What a span of a batched call holds, so that its test values are valid for the function.</summary>
public enum SpanKind
{
    Logits,
    Probabilities,
    UnitInterval,
    LogProbabilities,
    Gradient,
    Weights,
    Output,
}

/// <summary>One span argument of a public function: its parameter name, length and kind.</summary>
public sealed record SpanSpec(string Name, int Length, SpanKind Kind)
{
    public bool IsOutput => Kind == SpanKind.Output;
}

/// <summary>A public batched function with its span arguments; <see cref="Run"/> calls it with spans in <see cref="Spans"/> order.</summary>
public sealed record BatchedFunction(string Name, SpanSpec[] Spans, Func<Memory<float>[], int, float> Run)
{
    /// <summary>The outputs do not change when the same constant is added to every logit (softmax is shift invariant).</summary>
    public bool ShiftInvariant => Name is "Softmax.Forward" or "LogSoftmax.Forward" or "CrossEntropy.Forward" or "CrossEntropy.ForwardWithProbabilities"
        or "Entropy.FromLogits" or "Entropy.PerplexityFromLogits" or "Entropy.CrossFromLogits" or "KLDivergence.FromLogits" or "KLDivergence.Distillation";

    public override string ToString() => Name;
}

/// <summary>Every public batched function (float), at a shape with whole blocks of rows and a ragged rest.</summary>
public static class BatchedFunctions
{
    public const int Rows = 37;
    public const int Classes = 10;

    /// <summary>The functions at <see cref="Rows"/> rows.</summary>
    public static IReadOnlyList<BatchedFunction> All { get; } = Create(Rows);

    /// <summary>The functions at <paramref name="rows"/> rows of <see cref="Classes"/>.</summary>
    public static IReadOnlyList<BatchedFunction> Create(int rows)
    {
        int n = rows * Classes;
        int[] targets = [.. Enumerable.Range(0, rows).Select(r => r % 7 == 3 ? -100 : (r * 7) % Classes)];
        SpanSpec In(string name, SpanKind kind, int length = -1) => new(name, length < 0 ? n : length, kind);
        SpanSpec Out(string name, int length = -1) => new(name, length < 0 ? n : length, SpanKind.Output);

        // Scratch of the storing entries, made once per thread (test classes run in parallel), so that a warm call allocates
        // only what the library does (AllocationRuleTests).
        var scratch = new ThreadLocal<Scratch>(() => new Scratch(rows));
        return
        [
            new("Softmax.Forward", [In("logits", SpanKind.Logits), Out("destination")], (s, t) =>
            {
                Softmax.Forward<float>(s[0].Span, s[1].Span, Classes, t);
                return 0;
            }),
            new("Softmax.Backward", [In("output", SpanKind.Probabilities), In("outputGradient", SpanKind.Gradient), Out("inputGradient")], (s, t) =>
            {
                Softmax.Backward<float>(s[0].Span, s[1].Span, s[2].Span, Classes, t);
                return 0;
            }),
            new("LogSoftmax.Forward", [In("logits", SpanKind.Logits), Out("destination")], (s, t) =>
            {
                LogSoftmax.Forward<float>(s[0].Span, s[1].Span, Classes, t);
                return 0;
            }),
            new("LogSoftmax.Backward", [In("output", SpanKind.LogProbabilities), In("outputGradient", SpanKind.Gradient), Out("inputGradient")], (s, t) =>
            {
                LogSoftmax.Backward<float>(s[0].Span, s[1].Span, s[2].Span, Classes, t);
                return 0;
            }),
            new("LogSumExp.Forward", [In("logits", SpanKind.Logits), Out("destination", rows)], (s, t) =>
            {
                LogSumExp.Forward<float>(s[0].Span, s[1].Span, Classes, t);
                return 0;
            }),
            new("LogSumExp.Backward", [In("logits", SpanKind.Logits), In("output", SpanKind.Logits, rows), In("outputGradient", SpanKind.Gradient, rows), Out("inputGradient")], (s, t) =>
            {
                LogSumExp.Backward<float>(s[0].Span, s[1].Span, s[2].Span, s[3].Span, Classes, t);
                return 0;
            }),
            new("CrossEntropy.Forward", [In("logits", SpanKind.Logits), In("weight", SpanKind.Weights, Classes), Out("gradient"), Out("losses", rows)], (s, t) =>
                CrossEntropy.Forward<float>(s[0].Span, targets, Classes, s[2].Span, Reduction.None, s[3].Span, s[1].Span, labelSmoothing: 0.1f, maxDegreeOfParallelism: t)),
            new("TokenLogProbabilities.Forward", [In("logits", SpanKind.Logits), Out("logProbabilities", rows), Out("entropy", rows)], (s, t) =>
            {
                TokenLogProbabilities.Forward<float>(s[0].Span, targets, s[1].Span, Classes, s[2].Span, softCap: 5, maxDegreeOfParallelism: t);
                return 0;
            }),
            new("TokenLogProbabilities.Backward", [In("logits", SpanKind.Logits), In("logProbabilityGradient", SpanKind.Gradient, rows), In("entropyGradient", SpanKind.Gradient, rows), Out("gradient")], (s, t) =>
            {
                TokenLogProbabilities.Backward<float>(s[0].Span, targets, s[1].Span, s[2].Span, s[3].Span, Classes, softCap: 5, maxDegreeOfParallelism: t);
                return 0;
            }),
            new("CrossEntropySlices.Forward+Backward (storing)", [In("logits", SpanKind.Logits), Out("gradient")], (s, t) =>
            {
                // Two slices [0, 4) and [4, 10): the forward leaves the exps in the gradient, the backward rescales them.
                var (left, right, all) = (scratch.Value!.Left, scratch.Value.Right, scratch.Value.All);
                all.AsSpan().Clear();
                CrossEntropySlices.Forward<float>(s[0].Span, targets, left, s[1].Span, Classes, 0, 4, Classes, maxDegreeOfParallelism: t);
                CrossEntropySlices.Forward<float>(s[0].Span[4..], targets, right, s[1].Span[4..], Classes, 4, 6, Classes, maxDegreeOfParallelism: t);
                CrossEntropySlices.Combine(left, all);
                CrossEntropySlices.Combine(right, all);
                float loss = CrossEntropySlices.Loss<float>(all, Classes, zLoss: 1e-4);
                CrossEntropySlices.Backward<float>(s[0].Span, left, all, s[1].Span, Classes, 0, 4, Classes, zLoss: 1e-4, maxDegreeOfParallelism: t);
                CrossEntropySlices.Backward<float>(s[0].Span[4..], right, all, s[1].Span[4..], Classes, 4, 6, Classes, zLoss: 1e-4, maxDegreeOfParallelism: t);
                return loss;
            }),
            new("TokenLogProbabilities.Forward+Backward (storing)", [In("logits", SpanKind.Logits), In("logProbabilityGradient", SpanKind.Gradient, rows), In("entropyGradient", SpanKind.Gradient, rows), Out("gradient")], (s, t) =>
            {
                // The forward's own outputs are the plain forward's (covered above): here only the gradient's pairs.
                var own = scratch.Value!;
                TokenLogProbabilities.Forward<float>(s[0].Span, targets, own.LogProbabilities, own.Left, s[3].Span, Classes, own.Entropy, softCap: 5,
                    maxDegreeOfParallelism: t);
                TokenLogProbabilities.Backward<float>(s[0].Span, own.Left, s[1].Span, s[2].Span, s[3].Span, Classes, softCap: 5, maxDegreeOfParallelism: t);
                return 0;
            }),
            new("TokenLogProbabilities.ForwardBackward", [In("logits", SpanKind.Logits), Out("logProbabilities", rows), Out("gradient"), Out("entropy", rows)], (s, t) =>
            {
                TokenLogProbabilities.ForwardBackward(s[0].Span, targets, s[1].Span, s[2].Span, Classes, new ConstantObjective(), s[3].Span, softCap: 5,
                    maxDegreeOfParallelism: t);
                return 0;
            }),
            new("CrossEntropy.ForwardWithProbabilities", [In("logits", SpanKind.Logits), In("probabilities", SpanKind.Probabilities), In("weight", SpanKind.Weights, Classes), Out("gradient"), Out("losses", rows)], (s, t) =>
                CrossEntropy.ForwardWithProbabilities<float>(s[0].Span, s[1].Span, Classes, s[3].Span, Reduction.None, s[4].Span, s[2].Span, 0.1f, t)),
            new("NllLoss.Forward", [In("logProbabilities", SpanKind.LogProbabilities), In("weight", SpanKind.Weights, Classes), Out("gradient"), Out("losses", rows)], (s, t) =>
                NllLoss.Forward<float>(s[0].Span, targets, Classes, s[2].Span, Reduction.None, s[3].Span, s[1].Span, maxDegreeOfParallelism: t)),
            new("BinaryCrossEntropy.Forward", [In("probabilities", SpanKind.UnitInterval), In("targets", SpanKind.UnitInterval), In("weight", SpanKind.Weights), Out("gradient"), Out("losses")], (s, t) =>
                BinaryCrossEntropy.Forward<float>(s[0].Span, s[1].Span, s[3].Span, Reduction.None, s[4].Span, s[2].Span, t)),
            new("BinaryCrossEntropy.ForwardWithLogits", [In("logits", SpanKind.Logits), In("targets", SpanKind.UnitInterval), In("weight", SpanKind.Weights), In("posWeight", SpanKind.Weights, Classes), Out("gradient"), Out("losses")], (s, t) =>
                BinaryCrossEntropy.ForwardWithLogits<float>(s[0].Span, s[1].Span, s[4].Span, Reduction.None, s[5].Span, s[2].Span, s[3].Span, t)),
            new("FocalLoss.Forward", [In("logits", SpanKind.Logits), In("targets", SpanKind.UnitInterval), Out("gradient"), Out("losses")], (s, t) =>
                FocalLoss.Forward<float>(s[0].Span, s[1].Span, s[2].Span, Reduction.None, s[3].Span, maxDegreeOfParallelism: t)),
            new("MeanSquaredError.Forward", [In("input", SpanKind.Logits), In("targets", SpanKind.Logits), Out("gradient"), Out("losses")], (s, t) =>
                MeanSquaredError.Forward<float>(s[0].Span, s[1].Span, s[2].Span, Reduction.None, s[3].Span, t)),
            new("HuberLoss.Forward", [In("input", SpanKind.Logits), In("targets", SpanKind.Logits), Out("gradient"), Out("losses")], (s, t) =>
                HuberLoss.Forward<float>(s[0].Span, s[1].Span, s[2].Span, Reduction.None, s[3].Span, maxDegreeOfParallelism: t)),
            new("SmoothL1Loss.Forward", [In("input", SpanKind.Logits), In("targets", SpanKind.Logits), Out("gradient"), Out("losses")], (s, t) =>
                SmoothL1Loss.Forward<float>(s[0].Span, s[1].Span, s[2].Span, Reduction.None, s[3].Span, maxDegreeOfParallelism: t)),
            new("KLDivLoss.Forward", [In("logProbabilities", SpanKind.LogProbabilities), In("targets", SpanKind.Probabilities), Out("gradient"), Out("losses")], (s, t) =>
                KLDivLoss.Forward<float>(s[0].Span, s[1].Span, Classes, s[2].Span, Reduction.None, s[3].Span, maxDegreeOfParallelism: t)),
            new("Entropy.Of", [In("p", SpanKind.Probabilities), Out("destination", rows)], (s, t) =>
            {
                Entropy.Of<float>(s[0].Span, s[1].Span, Classes, 2, t);
                return 0;
            }),
            new("Entropy.FromCounts", [In("counts", SpanKind.Weights), Out("destination", rows)], (s, t) =>
            {
                Entropy.FromCounts<float>(s[0].Span, s[1].Span, Classes, Math.E, t);
                return 0;
            }),
            new("Entropy.FromLogits", [In("logits", SpanKind.Logits), Out("destination", rows)], (s, t) =>
            {
                Entropy.FromLogits<float>(s[0].Span, s[1].Span, Classes, Math.E, t);
                return 0;
            }),
            new("Entropy.Perplexity", [In("p", SpanKind.Probabilities), Out("destination", rows)], (s, t) =>
            {
                Entropy.Perplexity<float>(s[0].Span, s[1].Span, Classes, t);
                return 0;
            }),
            new("Entropy.PerplexityFromLogits", [In("logits", SpanKind.Logits), Out("destination", rows)], (s, t) =>
            {
                Entropy.PerplexityFromLogits<float>(s[0].Span, s[1].Span, Classes, t);
                return 0;
            }),
            new("Entropy.Cross", [In("p", SpanKind.Probabilities), In("q", SpanKind.Probabilities), Out("destination", rows)], (s, t) =>
            {
                Entropy.Cross<float>(s[0].Span, s[1].Span, s[2].Span, Classes, Math.E, t);
                return 0;
            }),
            new("Entropy.CrossFromLogits", [In("p", SpanKind.Probabilities), In("logitsQ", SpanKind.Logits), Out("destination", rows)], (s, t) =>
            {
                Entropy.CrossFromLogits<float>(s[0].Span, s[1].Span, s[2].Span, Classes, Math.E, t);
                return 0;
            }),
            new("Entropy.BinaryCross", [In("p", SpanKind.UnitInterval), In("q", SpanKind.UnitInterval), Out("destination")], (s, t) =>
                Entropy.BinaryCross<float>(s[0].Span, s[1].Span, s[2].Span)),
            new("Entropy.BinaryCrossFromLogits", [In("p", SpanKind.UnitInterval), In("logitsQ", SpanKind.Logits), Out("destination")], (s, t) =>
                Entropy.BinaryCrossFromLogits<float>(s[0].Span, s[1].Span, s[2].Span)),
            new("KLDivergence.Of", [In("p", SpanKind.Probabilities), In("q", SpanKind.Probabilities), Out("destination", rows)], (s, t) =>
            {
                KLDivergence.Of<float>(s[0].Span, s[1].Span, s[2].Span, Classes, Math.E, t);
                return 0;
            }),
            new("KLDivergence.FromCounts", [In("p", SpanKind.Weights), In("q", SpanKind.Weights), Out("destination", rows)], (s, t) =>
            {
                KLDivergence.FromCounts<float>(s[0].Span, s[1].Span, s[2].Span, Classes, Math.E, t);
                return 0;
            }),
            new("KLDivergence.FromLogProbabilities", [In("p", SpanKind.Probabilities), In("logQ", SpanKind.LogProbabilities), Out("destination", rows)], (s, t) =>
            {
                KLDivergence.FromLogProbabilities<float>(s[0].Span, s[1].Span, s[2].Span, Classes, false, t);
                return 0;
            }),
            new("KLDivergence.FromLogits", [In("teacherLogits", SpanKind.Logits), In("studentLogits", SpanKind.Logits), Out("destination", rows)], (s, t) =>
            {
                KLDivergence.FromLogits<float>(s[0].Span, s[1].Span, s[2].Span, Classes, 3, t);
                return 0;
            }),
            new("KLDivergence.Distillation", [In("teacherLogits", SpanKind.Logits), In("studentLogits", SpanKind.Logits), Out("studentGradient")], (s, t) =>
                KLDivergence.Distillation<float>(s[0].Span, s[1].Span, Classes, s[2].Span, Reduction.BatchMean, 2, true, t)),
            new("JensenShannon.Divergence", [In("p", SpanKind.Probabilities), In("q", SpanKind.Probabilities), Out("destination", rows)], (s, t) =>
            {
                JensenShannon.Divergence<float>(s[0].Span, s[1].Span, s[2].Span, Classes, 2, t);
                return 0;
            }),
            new("JensenShannon.Distance", [In("p", SpanKind.Probabilities), In("q", SpanKind.Probabilities), Out("destination", rows)], (s, t) =>
            {
                JensenShannon.Distance<float>(s[0].Span, s[1].Span, s[2].Span, Classes, Math.E, t);
                return 0;
            }),
        ];
    }

    /// <summary>Per-row buffers of the storing entries.</summary>
    private sealed class Scratch(int rows)
    {
        public VocabularyPartial[] Left { get; } = new VocabularyPartial[rows];
        public VocabularyPartial[] Right { get; } = new VocabularyPartial[rows];
        public VocabularyPartial[] All { get; } = new VocabularyPartial[rows];
        public float[] LogProbabilities { get; } = new float[rows];
        public float[] Entropy { get; } = new float[rows];
    }

    /// <summary>Valid values for a span of <paramref name="kind"/>: rows of <see cref="Classes"/> where the kind is per row.</summary>
    public static float[] Values(SpanKind kind, int length, int seed)
    {
        var random = new Random(seed);
        float[] v = new float[length];
        for (int i = 0; i < length; i++)
        {
            v[i] = kind switch
            {
                SpanKind.Logits => (float)((random.NextDouble() * 8) - 4),
                SpanKind.UnitInterval => (float)random.NextDouble(),
                SpanKind.Gradient => (float)(random.NextDouble() - 0.5),
                SpanKind.Weights => (float)(0.25 + random.NextDouble()),
                SpanKind.Probabilities or SpanKind.LogProbabilities => (float)(0.05 + random.NextDouble()),
                _ => float.NaN,
            };
        }
        if (kind is SpanKind.Probabilities or SpanKind.LogProbabilities)
        {
            for (int row = 0; row + Classes <= length; row += Classes)
            {
                float sum = 0;
                for (int c = 0; c < Classes; c++)
                {
                    sum += v[row + c];
                }
                for (int c = 0; c < Classes; c++)
                {
                    v[row + c] = kind == SpanKind.Probabilities ? v[row + c] / sum : MathF.Log(v[row + c] / sum);
                }
            }
        }
        return v;
    }
}

/// <summary>A per-token objective with the same upstream gradients for every row (α = 1, β = −0.5).</summary>
internal readonly struct ConstantObjective : ITokenObjective<float>
{
    public void Gradients(int row, float logProbability, float entropy, out float logProbabilityGradient, out float entropyGradient)
    {
        logProbabilityGradient = 1;
        entropyGradient = -0.5f;
    }
}
