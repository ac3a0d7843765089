namespace Losses;

/// <summary>
/// How normalized mutual information averages the two labelings' entropies H(U) and H(V) in its denominator, as
/// scikit-learn's <c>average_method</c> of <c>normalized_mutual_info_score</c>.
/// </summary>
/// <seealso cref="InformationGain.NormalizedMutualInformation"/>
public enum MutualInformationAverage
{
    /// <summary>(H(U) + H(V)) / 2, scikit-learn's default ("arithmetic"); NMI is then the V-measure.</summary>
    Arithmetic = 0,

    /// <summary>√(H(U)·H(V)) ("geometric").</summary>
    Geometric = 1,

    /// <summary>min(H(U), H(V)) ("min").</summary>
    Min = 2,

    /// <summary>max(H(U), H(V)) ("max").</summary>
    Max = 3,
}
