using System.Diagnostics;
using Losses.Demo.Data;
using Losses.Demo.Report;
using Losses.Demo.Training;

namespace Losses.Demo.Sections;

/// <summary>
/// 6. A word-level language model on the King James Version: trained with the library's cross-entropy, evaluated on a
/// held-out book with <see cref="PerplexityAccumulator"/> (1 thread and 2 threads, bitwise equal), then its output layer
/// quantised to Half and to 8 bits and compared with the float model by <see cref="ModelComparison"/> (llama.cpp's
/// perplexity --kl-divergence statistics), and one held-out batch's logits through the LLM-scale forms (vocabulary
/// chunks in one call, shards combined as an all-reduce, token log-probabilities and entropies, z-loss and soft-cap).
/// </summary>
internal static class LanguageModelSection
{
    public const int VocabularySize = 640;
    public const int BatchSize = 64;
    public const int TrainingTokens = 32_000;
    public const int HeldOutTokens = 8_192;
    public const int Epochs = 2;
    public const float LearningRate = 0.5f;
    public const int EvaluationBatch = 256;

    public sealed record Outcome(List<double> Losses, PerplexityResult HeldOut, ModelComparisonResult Half, ModelComparisonResult Int8);

    public static Outcome Run(DemoContext context)
    {
        long started = Stopwatch.GetTimestamp();
        var books = WordCorpus.Books(EmbeddedData.KingJamesPentateuch());
        string[] trainingBooks = ["Genesis", "Exodus", "Leviticus", "Numbers"];
        var trainingText = trainingBooks.SelectMany(b => books[b]).SelectMany(WordCorpus.Tokenize).ToList();
        var heldOutText = books["Deuteronomy"].SelectMany(WordCorpus.Tokenize).Take(HeldOutTokens).ToList();
        var vocabulary = WordCorpus.Build(trainingText, VocabularySize);
        int[] training = vocabulary.Encode(trainingText);
        int[] heldOut = vocabulary.Encode(heldOutText);
        context.Heading("6", "A language model on the King James Version: perplexity, exactly merged; quantised heads compared (llama.cpp style)",
            $"Genesis–Numbers ({training.Length:N0} tokens) to train, the first {heldOut.Length:N0} tokens of Deuteronomy held out; words and , . ; : ? ! as tokens,\n" +
            $"the {VocabularySize - 1} most frequent training tokens plus <unk>. Model: embeddings ({WordLanguageModel.Embedding}) of the previous {WordLanguageModel.Context} tokens →\n" +
            $"{WordLanguageModel.Hidden} tanh → {VocabularySize} logits; SGD, batch {BatchSize}, rate {LearningRate}, {Epochs} epochs over {TrainingTokens:N0} training positions;\n" +
            $"output layer trained through the fused LM head LinearCrossEntropy.Forward (loss, ∂h, ∂W, ∂b; z-loss λ = {WordLanguageModel.ZLoss}).\n" +
            "Held-out figures by PerplexityAccumulator; the output layer then\n" +
            "quantised to Half and to 8 bits per class and each compared with the float model by ModelComparison.");

        var random = new Random(context.Seed);
        var model = new WordLanguageModel(vocabulary.Size, random);
        var scratch = new WordLanguageModel.Scratch(Math.Max(BatchSize, EvaluationBatch), vocabulary.Size);
        int positions = Math.Min(TrainingTokens, training.Length - WordLanguageModel.Context);
        int[] order = [.. Enumerable.Range(0, positions / BatchSize)];
        var losses = new List<double>();
        var table = new Table(context.Out, ("epoch", 5), ("train CE", 8), ("ms", 6));
        table.Header();
        using (var progress = new Progress("language model", Epochs * order.Length))
        {
            for (int epoch = 1; epoch <= Epochs; epoch++)
            {
                long epochStart = Stopwatch.GetTimestamp();
                random.Shuffle(order);
                double sum = 0;
                for (int b = 0; b < order.Length; b++)
                {
                    float loss = model.TrainStep(training, WordLanguageModel.Context + order[b] * BatchSize, BatchSize, LearningRate, scratch);
                    sum += loss;
                    if ((b + 1) % 50 == 0)
                    {
                        losses.Add(sum / 50);
                        sum = 0;
                    }
                    progress.Report((epoch - 1) * order.Length + b + 1, $"CE {loss:F2}");
                }
                progress.Clear();
                table.Row(epoch.ToString(), Table.F(losses[^1], 3), Table.F(Stopwatch.GetElapsedTime(epochStart).TotalMilliseconds, 0));
            }
        }

        // Held-out perplexity on 1 and on 2 threads: the accumulators merge exactly, so the states are the same bits.
        long evaluationStart = Stopwatch.GetTimestamp();
        var one = Evaluate(model, heldOut, model.Output, threads: 1);
        double oneMs = Stopwatch.GetElapsedTime(evaluationStart).TotalMilliseconds;
        evaluationStart = Stopwatch.GetTimestamp();
        var two = Evaluate(model, heldOut, model.Output, threads: 2);
        double twoMs = Stopwatch.GetElapsedTime(evaluationStart).TotalMilliseconds;
        var result = one.ToResult();
        bool same = one.ToJson() == two.ToJson();
        double unigram = UnigramPerplexity(training, heldOut, vocabulary.Size);
        context.Out.WriteLine();
        foreach (string line in result.ToTable().TrimEnd().Split(Environment.NewLine))
        {
            context.Out.WriteLine("  " + line);
        }
        context.Out.WriteLine($"  Unigram (word frequency) perplexity on the same tokens: {unigram:F1}; the model's is {result.Perplexity / unigram:P0} of it.");
        context.Out.WriteLine($"  1 thread: perplexity {one.ToResult().Perplexity:R} ({oneMs:F0} ms); 2 threads, merged: {two.ToResult().Perplexity:R} ({twoMs:F0} ms); " +
            $"states {(same ? "bitwise equal" : "DIFFERENT")}.");

        // The output layer quantised: Half, and 8 bits with one scale per class; each against the float model.
        var (half, int8) = Compare(model, heldOut, model.OutputAsHalf(), model.OutputAsInt8());
        context.Out.WriteLine();
        var compare = new Table(context.Out, ("output layer", -12), ("PPL(Q)", 8), ("PPL ratio", 17), ("mean KL", 20), ("KL 99%", 9), ("KL max", 9), ("same top", 8), ("RMS Δp", 7));
        compare.Header();
        foreach (var (name, r) in new[] { ("Half", half), ("8-bit", int8) })
        {
            compare.Row(name, Table.F(r.Perplexity, 2), $"{Table.F(r.PerplexityRatio, 5)} ± {Table.F(r.PerplexityRatioError, 5)}",
                $"{Table.G(r.MeanDivergence)} ± {Table.G(r.MeanDivergenceError, 2)}", Table.G(r.DivergencePercentiles[1].Value), Table.G(r.MaxDivergence),
                Table.Percent(r.SameTopFraction), Table.F(100 * r.RmsProbabilityDifference, 3) + "%");
        }
        context.Out.WriteLine();
        context.Out.WriteLine("  The 8-bit output layer against the float model, as llama.cpp's perplexity --kl-divergence prints it:");
        foreach (string line in int8.ToTable().TrimEnd().Split(Environment.NewLine))
        {
            context.Out.WriteLine("  " + line);
        }
        LlmScaleForms(context, model, heldOut);
        context.Out.WriteLine($"  ({Stopwatch.GetElapsedTime(started).TotalSeconds:F1} s for the section.)");

        context.Checks.Add("language model: held-out perplexity < 70% of the unigram's", result.Perplexity < 0.7 * unigram,
            $"{Table.F(result.Perplexity, 1)} < 0.7 × {Table.F(unigram, 1)}");
        context.Checks.Add("language model: 2-thread held-out state = 1-thread (bits)", same, same ? "equal JSON states" : "states differ");
        context.Checks.Add("language model: no NaN tokens, all held-out tokens counted", result.NonFiniteCount == 0 && result.TokenCount == heldOut.Length - WordLanguageModel.Context,
            $"{result.TokenCount} counted, {result.NonFiniteCount} NaN");
        context.Checks.Add("language model: Half output layer, mean KL < 1e-4", half.MeanDivergence < 1e-4, Table.G(half.MeanDivergence));
        context.Checks.AtLeast("language model: 8-bit output layer, same top token", int8.SameTopFraction, 0.95);
        context.Checks.Add("language model: 8-bit output layer, PPL ratio < 1.02", int8.PerplexityRatio < 1.02, Table.F(int8.PerplexityRatio, 5));

        var panel = context.Plots.Panel("KJV language model: training cross-entropy", "step (×50 batches)", "mean training CE (nats)");
        panel.Series.Add(new PlotSeries("train (50-batch means)", [.. Enumerable.Range(1, losses.Count).Select(i => (double)i)], [.. losses]));
        panel.Series.Add(new PlotSeries($"held-out (final, PPL {result.Perplexity:F0})", [1, losses.Count], [result.CrossEntropy, result.CrossEntropy]));
        return new Outcome(losses, result, half, int8);
    }

    /// <summary>
    /// One held-out batch's logits through the LLM-scale forms, each against the one-shot <see cref="CrossEntropy"/>: the
    /// vocabulary as 4 chunk buffers in one call (<see cref="CrossEntropySlices.ForwardBackward{T}(ReadOnlySpan{ReadOnlyMemory{T}}, ReadOnlySpan{int}, ReadOnlySpan{Memory{T}}, Span{VocabularyPartial}, Reduction, Span{T}, ReadOnlySpan{T}, int, double, double, double, int)"/>,
    /// a vocabulary-chunked LM head), as 4 shards combined as an all-reduce would (per-shard Forward, Combine, Loss,
    /// Backward), the token log-probabilities and entropies RL post-training reads (<see cref="TokenLogProbabilities"/>),
    /// and the z-loss and Gemma 2's soft-cap as options.
    /// </summary>
    private static void LlmScaleForms(DemoContext context, WordLanguageModel model, int[] tokens)
    {
        const int Chunks = 4;
        int v = model.Vocabulary, rows = Math.Min(EvaluationBatch, tokens.Length - WordLanguageModel.Context), width = v / Chunks;
        var scratch = new WordLanguageModel.Scratch(rows, v);
        float[] logits = Logits(model, tokens, WordLanguageModel.Context, rows, model.Output, scratch).AsSpan(0, rows * v).ToArray();
        int[] targets = tokens.AsSpan(WordLanguageModel.Context, rows).ToArray();
        const double Z = WordLanguageModel.ZLoss;

        // One shot, with its gradient.
        var gradient = new float[logits.Length];
        float oneShot = CrossEntropy.Forward<float>(logits, targets, v, gradient, zLoss: Z);

        // The vocabulary as chunk buffers [rows × width], as a chunked LM head writes them; one call.
        float[][] chunks = [.. Enumerable.Range(0, Chunks).Select(k => Enumerable.Range(0, rows).SelectMany(r => logits.Skip((r * v) + (k * width)).Take(width)).ToArray())];
        float[][] chunkGradients = [.. chunks.Select(c => new float[c.Length])];
        var combined = new VocabularyPartial[rows];
        float grouped = CrossEntropySlices.ForwardBackward<float>([.. chunks.Select(c => (ReadOnlyMemory<float>)c)], targets,
            [.. chunkGradients.Select(g => (Memory<float>)g)], combined, zLoss: Z);
        double gradientGap = 0;
        for (int k = 0; k < Chunks; k++)
        {
            for (int r = 0; r < rows; r++)
            {
                for (int c = 0; c < width; c++)
                {
                    gradientGap = Math.Max(gradientGap, Math.Abs(chunkGradients[k][(r * width) + c] - gradient[(r * v) + (k * width) + c]));
                }
            }
        }

        // The vocabulary as shards of one buffer (row stride v), each "process" its own partials, combined as an
        // all-reduce would (any order), then each shard's gradient from the combined partials.
        var all = new VocabularyPartial[rows];
        var shardGradient = new float[logits.Length];
        var own = new VocabularyPartial[Chunks][];
        for (int k = Chunks - 1; k >= 0; k--)
        {
            own[k] = new VocabularyPartial[rows];
            CrossEntropySlices.Forward<float>(logits.AsSpan(k * width), targets, own[k], shardGradient.AsSpan(k * width), v, k * width, width, stride: v);
            CrossEntropySlices.Combine(own[k], all);
        }
        float sharded = CrossEntropySlices.Loss<float>(all, v, zLoss: Z);
        for (int k = 0; k < Chunks; k++)
        {
            CrossEntropySlices.Backward<float>(logits.AsSpan(k * width), own[k], all, shardGradient.AsSpan(k * width), v, k * width, width, stride: v, zLoss: Z);
        }
        double shardGap = 0;
        for (int i = 0; i < logits.Length; i++)
        {
            shardGap = Math.Max(shardGap, Math.Abs(shardGradient[i] - gradient[i]));
        }

        // Per-token log p(t) and entropy (what PPO/GRPO read), and the plain cross-entropy they average to.
        var logProbabilities = new float[rows];
        var entropy = new float[rows];
        TokenLogProbabilities.Forward<float>(logits, targets, logProbabilities, v, entropy);
        float plain = CrossEntropy.Forward<float>(logits, targets, v);
        double meanNegativeLogP = -logProbabilities.Average(p => (double)p);
        float capped = CrossEntropy.Forward<float>(logits, targets, v, zLoss: Z, softCap: 30);

        static double Relative(double a, double b) => Math.Abs(a - b) / Math.Abs(b);
        context.Out.WriteLine();
        context.Out.WriteLine($"  The LLM-scale forms on the first {rows} held-out tokens' logits ({v} classes, z-loss λ = {Z}), against one-shot CrossEntropy ({oneShot:R}):");
        context.Out.WriteLine($"    {Chunks} chunk buffers, one call (CrossEntropySlices.ForwardBackward): {grouped:R}, gradient within {gradientGap:G2} of the one-shot's");
        context.Out.WriteLine($"    {Chunks} shards combined as an all-reduce (Forward, Combine, Loss, Backward): {sharded:R}, gradient within {shardGap:G2}");
        context.Out.WriteLine($"    token log-probabilities: mean −log p(t) {meanNegativeLogP:F6} = cross-entropy without z-loss {plain:F6}; mean entropy {entropy.Average(h => (double)h):F3} nats");
        float largest = logits.Max(MathF.Abs);
        context.Out.WriteLine($"    soft-capped at c = 30 (Gemma 2): {capped:R} (the largest |logit| here is {largest:F1}: c·tanh(x/c) moves it by {largest - (30 * MathF.Tanh(largest / 30)):F2})");

        context.Checks.Add("language model: 4 vocabulary chunks, one call = one-shot CE", Relative(grouped, oneShot) < 1e-5 && gradientGap < 1e-6,
            $"rel. {Table.G(Relative(grouped, oneShot), 2)}, ∂ {Table.G(gradientGap, 2)}");
        context.Checks.Add("language model: 4 shards combined = one-shot CE", Relative(sharded, oneShot) < 1e-5 && shardGap < 1e-6,
            $"rel. {Table.G(Relative(sharded, oneShot), 2)}, ∂ {Table.G(shardGap, 2)}");
        context.Checks.Add("language model: mean −log p(token) = cross-entropy", Relative(meanNegativeLogP, plain) < 1e-5,
            $"rel. {Table.G(Relative(meanNegativeLogP, plain), 2)}");
    }

    /// <summary>Scores the held-out tokens in batches; with 2 threads each thread scores every other batch into its own accumulator, then they merge.</summary>
    private static PerplexityAccumulator Evaluate(WordLanguageModel model, int[] tokens, float[] output, int threads)
    {
        var parts = new PerplexityAccumulator[threads];
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, part =>
        {
            var accumulator = new PerplexityAccumulator(model.Vocabulary);
            var scratch = new WordLanguageModel.Scratch(EvaluationBatch, model.Vocabulary);
            int batch = 0;
            for (int start = WordLanguageModel.Context; start < tokens.Length; start += EvaluationBatch, batch++)
            {
                if (batch % threads != part)
                {
                    continue;
                }
                int rows = Math.Min(EvaluationBatch, tokens.Length - start);
                float[] logits = Logits(model, tokens, start, rows, output, scratch);
                accumulator.Add<float>(logits.AsSpan(0, rows * model.Vocabulary), tokens.AsSpan(start, rows));
            }
            parts[part] = accumulator;
        });
        for (int i = 1; i < threads; i++)
        {
            parts[0].Merge(parts[i]);
        }
        return parts[0];
    }

    /// <summary>The float model against two quantised output layers, batch by batch (the float logits computed once per batch).</summary>
    private static (ModelComparisonResult First, ModelComparisonResult Second) Compare(WordLanguageModel model, int[] tokens, float[] first, float[] second)
    {
        int v = model.Vocabulary;
        var firstComparison = new ModelComparison(v);
        var secondComparison = new ModelComparison(v);
        var scratch = new WordLanguageModel.Scratch(EvaluationBatch, v);
        var reference = new float[EvaluationBatch * v];
        for (int start = WordLanguageModel.Context; start < tokens.Length; start += EvaluationBatch)
        {
            int rows = Math.Min(EvaluationBatch, tokens.Length - start);
            var targets = tokens.AsSpan(start, rows);
            Logits(model, tokens, start, rows, model.Output, scratch).AsSpan(0, rows * v).CopyTo(reference);
            var expected = reference.AsSpan(0, rows * v);
            firstComparison.Add<float>(expected, model.Logits(scratch.Hidden, rows, first, scratch.Logits).AsSpan(0, rows * v), targets);
            secondComparison.Add<float>(expected, model.Logits(scratch.Hidden, rows, second, scratch.Logits).AsSpan(0, rows * v), targets);
        }
        return (firstComparison.ToResult(), secondComparison.ToResult());
    }

    private static float[] Logits(WordLanguageModel model, int[] tokens, int start, int rows, float[] output, WordLanguageModel.Scratch s)
    {
        Span<float> x = s.Inputs.AsSpan(0, rows * WordLanguageModel.Context * WordLanguageModel.Embedding);
        Span<float> h = s.Hidden.AsSpan(0, rows * WordLanguageModel.Hidden);
        model.Inputs(tokens, start, rows, x);
        model.HiddenStates(x, rows, h);
        return model.Logits(h, rows, output, s.Logits);
    }

    /// <summary>exp of the cross-entropy of training-set token frequencies (add-one) on the held-out tokens.</summary>
    private static double UnigramPerplexity(int[] training, int[] heldOut, int vocabulary)
    {
        var counts = new double[vocabulary];
        foreach (int t in training)
        {
            counts[t]++;
        }
        double total = training.Length + vocabulary;
        double sum = 0;
        for (int i = WordLanguageModel.Context; i < heldOut.Length; i++)
        {
            sum -= Math.Log((counts[heldOut[i]] + 1) / total);
        }
        return Math.Exp(sum / (heldOut.Length - WordLanguageModel.Context));
    }
}
