namespace Losses;

/// <summary>
/// The state of a <see cref="ModelComparison"/> as plain data: configuration, integer counts, the exact sums as text (see
/// <see cref="PerplexityState"/>), and the per-token divergences — sorted, while exact — or the histogram buckets.
/// </summary>
public sealed record ModelComparisonState
{
    /// <summary>The vocabulary size.</summary>
    public int ClassCount { get; init; }

    /// <summary>The skipped target value.</summary>
    public int IgnoreIndex { get; init; }

    /// <summary>How many divergences are kept exactly.</summary>
    public int PercentileCapacity { get; init; }

    /// <summary>Counted tokens.</summary>
    public long TokenCount { get; init; }

    /// <summary>Rows whose target was the ignore index.</summary>
    public long IgnoredCount { get; init; }

    /// <summary>Rows left out for a NaN or +∞ logit.</summary>
    public long NonFiniteCount { get; init; }

    /// <summary>Tokens whose argmax agrees between the models.</summary>
    public long SameTopCount { get; init; }

    /// <summary>max |Q(t) − P(t)|.</summary>
    public double MaxProbabilityDifference { get; init; }

    /// <summary>Exact sums, in order: Σℓ_Q, Σℓ_Q², Σℓ_P, Σℓ_P², Σℓ_P·ℓ_Q, ΣKL, ΣKL², ΣΔp, ΣΔp², ΣΔp⁴.</summary>
    public IReadOnlyList<string> Sums { get; init; } = [];

    /// <summary>Every per-token divergence, sorted (while at most the capacity); empty once the histogram is used.</summary>
    public IReadOnlyList<double> Divergences { get; init; } = [];

    /// <summary>Histogram buckets "key:count" in key order (beyond the capacity), the key being the bits of the value's
    /// magnitude shifted right by 45 (negated minus one for negative values); empty while exact.</summary>
    public IReadOnlyList<string> DivergenceBuckets { get; init; } = [];
}
