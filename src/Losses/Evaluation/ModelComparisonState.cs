using System.Globalization;
using System.Text;

namespace Losses;

/// <summary>
/// The state of a <see cref="ModelComparison"/> as plain data: configuration, integer counts, the exact sums as text (see
/// <see cref="PerplexityState"/>), and the per-token divergences — sorted, while exact — or the histogram buckets. Two
/// states of equal contents are equal (lists compared element by element), and <see cref="object.ToString"/> prints the
/// numbers (the first few of a long list, and its length).
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

    /// <summary>True when <paramref name="other"/> holds the same configuration, counts, sums and divergences.</summary>
    /// <param name="other">The state to compare with.</param>
    /// <returns>Whether every property is equal (lists element by element).</returns>
    public bool Equals(ModelComparisonState? other) =>
        other is not null && ClassCount == other.ClassCount && IgnoreIndex == other.IgnoreIndex && PercentileCapacity == other.PercentileCapacity
        && TokenCount == other.TokenCount && IgnoredCount == other.IgnoredCount && NonFiniteCount == other.NonFiniteCount
        && SameTopCount == other.SameTopCount && MaxProbabilityDifference.Equals(other.MaxProbabilityDifference)
        && StateLists.Equal(Sums, other.Sums) && StateLists.Equal(Divergences, other.Divergences) && StateLists.Equal(DivergenceBuckets, other.DivergenceBuckets);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(
        HashCode.Combine(ClassCount, IgnoreIndex, PercentileCapacity, TokenCount, IgnoredCount, NonFiniteCount, SameTopCount, MaxProbabilityDifference),
        HashCode.Combine(StateLists.Hash(Sums), StateLists.Hash(Divergences), StateLists.Hash(DivergenceBuckets)));

    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append(CultureInfo.InvariantCulture,
            $"ClassCount = {ClassCount}, IgnoreIndex = {IgnoreIndex}, PercentileCapacity = {PercentileCapacity}, TokenCount = {TokenCount}, IgnoredCount = {IgnoredCount}, NonFiniteCount = {NonFiniteCount}, SameTopCount = {SameTopCount}, MaxProbabilityDifference = {MaxProbabilityDifference:R}, ");
        StateLists.Append(builder, nameof(Sums), Sums).Append(", ");
        StateLists.Append(builder, nameof(Divergences), Divergences).Append(", ");
        StateLists.Append(builder, nameof(DivergenceBuckets), DivergenceBuckets);
        return true;
    }
}
