using System.Globalization;
using System.Text;

namespace Losses;

/// <summary>The figures of a <see cref="PerplexityAccumulator"/>: corpus cross-entropy and perplexity with their standard
/// errors (as llama.cpp's <c>perplexity</c> reports them), top-k accuracies and the mean entropy of the predictions.</summary>
public sealed record PerplexityResult
{
    /// <summary>Tokens counted (target not the ignore index, all logits finite).</summary>
    public long TokenCount { get; init; }

    /// <summary>Rows skipped because their target was the ignore index.</summary>
    public long IgnoredCount { get; init; }

    /// <summary>Rows left out because a logit was NaN or +∞ (their loss is undefined); 0 for a healthy model.</summary>
    public long NonFiniteCount { get; init; }

    /// <summary>D = Σ w[t] over counted tokens (the token count when unweighted): PyTorch's mean divisor.</summary>
    public double WeightSum { get; init; }

    /// <summary>Σ w[t]·ℓ over counted tokens (PyTorch's <c>reduction='sum'</c>), rounded once from the exact sum.</summary>
    public double LossSum { get; init; }

    /// <summary>Σ w·ℓ / Σ w in nats (PyTorch's <c>reduction='mean'</c> over the whole corpus).</summary>
    public double CrossEntropy { get; init; }

    /// <summary>The standard error of <see cref="CrossEntropy"/>: √((Σw·ℓ²/D − CE²)/(n − 1)) (0 for n ≤ 10), llama.cpp's estimate.</summary>
    public double CrossEntropyError { get; init; }

    /// <summary>exp(<see cref="CrossEntropy"/>): the corpus perplexity.</summary>
    public double Perplexity { get; init; }

    /// <summary>Perplexity · <see cref="CrossEntropyError"/> (first-order error propagation through exp).</summary>
    public double PerplexityError { get; init; }

    /// <summary>Top-1 accuracy (argmax = target), or NaN when k = 1 was not counted.</summary>
    public double Accuracy { get; init; }

    /// <summary>The accuracy at each counted k.</summary>
    public IReadOnlyList<TopKAccuracy> TopKAccuracies { get; init; } = [];

    /// <summary>The mean entropy of softmax(logits) over counted tokens, in nats (the model's own uncertainty; exp of it is not the corpus perplexity).</summary>
    public double MeanEntropy { get; init; }

    /// <summary>A text table in the manner of llama.cpp's statistics.</summary>
    /// <returns>One line per figure.</returns>
    /// <example>
    /// <code>
    /// var eval = new PerplexityAccumulator(classCount: 4);
    /// float[] logits = [2f, 0f, 0f, 0f, 0f, 1f, 0f, 0f]; // 2 tokens × 4 classes
    /// int[] targets = [0, 1];
    /// eval.Add&lt;float&gt;(logits, targets);
    /// Console.WriteLine(eval.ToResult().ToTable());
    /// </code>
    /// </example>
    public string ToTable()
    {
        var text = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        text.AppendLine("====== Perplexity statistics ======");
        text.AppendLine(c, $"Tokens                 : {TokenCount} (ignored {IgnoredCount}, non-finite {NonFiniteCount}{(NonFiniteCount > 0 ? " LEFT OUT" : "")})");
        text.AppendLine(c, $"Cross-entropy (nats)   : {CrossEntropy,12:F6} ± {CrossEntropyError,10:F6}");
        text.AppendLine(c, $"Perplexity             : {Perplexity,12:F6} ± {PerplexityError,10:F6}");
        foreach (var top in TopKAccuracies)
        {
            text.AppendLine(c, $"Top-{top.K,-3} accuracy       : {100 * top.Accuracy,11:F3} %");
        }
        if (!double.IsNaN(MeanEntropy) || TokenCount == 0)
        {
            text.AppendLine(c, $"Mean entropy (nats)    : {MeanEntropy,12:F6}");
        }
        return text.ToString();
    }
}
