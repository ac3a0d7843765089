namespace Losses;

/// <summary>What a <see cref="PerplexityAccumulator"/> computes beyond cross-entropy and perplexity, and so what it costs.</summary>
[Flags]
public enum PerplexityMetrics
{
    /// <summary>Cross-entropy and perplexity only: one online pass per row (one exp per element), as <see cref="CrossEntropy.Forward{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, int, Span{T}, Reduction, Span{T}, ReadOnlySpan{T}, int, double, double, double, int)"/>.</summary>
    None = 0,

    /// <summary>Top-k accuracies: the rank of the target is counted in the entropy's fused pass, so this costs as much as <see cref="All"/>.</summary>
    TopKAccuracy = 1,

    /// <summary>The mean entropy of the predictions: a max pass and a fused pass per row, as <see cref="Entropy.FromLogits{T}(ReadOnlySpan{T})"/>.</summary>
    Entropy = 2,

    /// <summary>Everything (the default).</summary>
    All = TopKAccuracy | Entropy,
}
