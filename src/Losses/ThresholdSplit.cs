using System.Numerics;

namespace Losses;

/// <summary>
/// The best binary split x ≤ <see cref="Threshold"/> of a numeric feature, as found by
/// <see cref="InformationGain.BestThreshold{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, ReadOnlySpan{T}, double)"/>.
/// </summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
/// <param name="Threshold">Samples with a feature value ≤ the threshold go left. It is the midpoint of two consecutive
/// distinct sorted values (or the lower of the two when the midpoint rounds up to the upper one), as scikit-learn's
/// trees; NaN when there is no split.</param>
/// <param name="Gain">The information gain of the split, in the base the search was given (nats by default); 0 when there
/// is no split.</param>
/// <param name="LeftCount">How many samples (sorted positions) go left; 0 when there is no split.</param>
/// <remarks>There is no split when there are fewer than two samples, every feature value is the same, or every weight is
/// zero; <see cref="Exists"/> is then false.</remarks>
/// <seealso cref="InformationGain"/>
public readonly record struct ThresholdSplit<T>(T Threshold, T Gain, int LeftCount)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Whether a split was found (some sample goes left and some right).</summary>
    public bool Exists => LeftCount > 0;
}
