using System.Text;

namespace Losses;

/// <summary>
/// The state of a <see cref="PerplexityAccumulator"/> as plain data, for any transport (JSON, an all-reduce, a database):
/// configuration, integer counts, and each sum as exact text (<c>m</c> or <c>mp-e</c> for the integer m times 2⁻ᵉ, or
/// <c>NaN</c>, <c>Infinity</c>, <c>-Infinity</c>), so that nothing is rounded in transit. Two states of equal contents are
/// equal (lists compared element by element), and <see cref="object.ToString"/> prints the numbers.
/// </summary>
public sealed record PerplexityState
{
    /// <summary>The vocabulary size.</summary>
    public int ClassCount { get; init; }

    /// <summary>The skipped target value.</summary>
    public int IgnoreIndex { get; init; }

    /// <summary>The class weights; empty when unweighted.</summary>
    public IReadOnlyList<double> Weight { get; init; } = [];

    /// <summary>The k of the counted top-k accuracies.</summary>
    public IReadOnlyList<int> TopK { get; init; } = [];

    /// <summary>What is computed beyond cross-entropy.</summary>
    public PerplexityMetrics Metrics { get; init; } = PerplexityMetrics.All;

    /// <summary>Counted tokens.</summary>
    public long TokenCount { get; init; }

    /// <summary>Rows whose target was the ignore index.</summary>
    public long IgnoredCount { get; init; }

    /// <summary>Rows left out for a NaN or +∞ logit.</summary>
    public long NonFiniteCount { get; init; }

    /// <summary>Tokens correct at each k of <see cref="TopK"/>.</summary>
    public IReadOnlyList<long> CorrectCount { get; init; } = [];

    /// <summary>Σ w·ℓ, exact.</summary>
    public string LossSum { get; init; } = "0";

    /// <summary>Σ w·ℓ², exact.</summary>
    public string LossSquareSum { get; init; } = "0";

    /// <summary>Σ w over counted tokens, exact (0 when unweighted: the token count is used).</summary>
    public string WeightSum { get; init; } = "0";

    /// <summary>Σ H, exact.</summary>
    public string EntropySum { get; init; } = "0";

    /// <summary>True when <paramref name="other"/> holds the same configuration, counts and sums.</summary>
    /// <param name="other">The state to compare with.</param>
    /// <returns>Whether every property is equal (lists element by element).</returns>
    public bool Equals(PerplexityState? other) =>
        other is not null && ClassCount == other.ClassCount && IgnoreIndex == other.IgnoreIndex && Metrics == other.Metrics
        && TokenCount == other.TokenCount && IgnoredCount == other.IgnoredCount && NonFiniteCount == other.NonFiniteCount
        && LossSum == other.LossSum && LossSquareSum == other.LossSquareSum && WeightSum == other.WeightSum && EntropySum == other.EntropySum
        && StateLists.Equal(Weight, other.Weight) && StateLists.Equal(TopK, other.TopK) && StateLists.Equal(CorrectCount, other.CorrectCount);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(
        HashCode.Combine(ClassCount, IgnoreIndex, Metrics, TokenCount, IgnoredCount, NonFiniteCount),
        HashCode.Combine(LossSum, LossSquareSum, WeightSum, EntropySum),
        HashCode.Combine(StateLists.Hash(Weight), StateLists.Hash(TopK), StateLists.Hash(CorrectCount)));

    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append(System.Globalization.CultureInfo.InvariantCulture, $"ClassCount = {ClassCount}, IgnoreIndex = {IgnoreIndex}, ");
        StateLists.Append(builder, nameof(Weight), Weight).Append(", ");
        StateLists.Append(builder, nameof(TopK), TopK).Append(System.Globalization.CultureInfo.InvariantCulture, $", Metrics = {Metrics}, TokenCount = {TokenCount}, IgnoredCount = {IgnoredCount}, NonFiniteCount = {NonFiniteCount}, ");
        StateLists.Append(builder, nameof(CorrectCount), CorrectCount);
        builder.Append(System.Globalization.CultureInfo.InvariantCulture, $", LossSum = {LossSum}, LossSquareSum = {LossSquareSum}, WeightSum = {WeightSum}, EntropySum = {EntropySum}");
        return true;
    }
}
